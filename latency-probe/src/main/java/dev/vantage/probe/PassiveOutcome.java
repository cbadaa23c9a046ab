package dev.vantage.probe;

/** What the proxy saw when it used an upstream: the passive signal behind outlier ejection. */
public enum PassiveOutcome {
    /** A response with a status below 500: resets the consecutive failure count. */
    SUCCESS,
    /** A 5xx response. */
    SERVER_ERROR,
    /** The connection could not be established (refused, unreachable, connect timeout). */
    CONNECT_FAILURE,
    /** The upstream reset or closed the connection before a complete response. */
    RESET;

    /** {@link #SERVER_ERROR} for 5xx statuses, {@link #SUCCESS} otherwise. */
    public static PassiveOutcome ofStatus(int httpStatus) {
        return httpStatus >= 500 ? SERVER_ERROR : SUCCESS;
    }
}
