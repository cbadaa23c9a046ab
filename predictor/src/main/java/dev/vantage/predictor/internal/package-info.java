/** Model internals of the predictor: sequence counts, filters, forecasters, evaluation helpers. Not for other modules. */
package dev.vantage.predictor.internal;
