/** The policy model: immutable records, YAML loading and validation, hot reload and diff. */
package dev.vantage.config;
