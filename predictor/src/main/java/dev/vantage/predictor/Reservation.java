package dev.vantage.predictor;

/** The reservation a probability earns: firm at or above the firm threshold, soft at or above the soft one. */
public enum Reservation { NONE, SOFT, FIRM }
