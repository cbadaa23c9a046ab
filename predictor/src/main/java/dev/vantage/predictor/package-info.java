/** Next-place, next-resource and demand models; mirroring decisions and predictive weights. */
package dev.vantage.predictor;
