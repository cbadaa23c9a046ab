package dev.vantage.proxy;

/**
 * The result of one routing call, written into a reusable instance so that routing allocates nothing.
 *
 * <p>Threading: owned by one event loop; valid until the next call that writes into it.
 */
public final class RoutingDecision {

    /** Header a Vantage ingress adds when it forwards to a peer site; a request carrying it is never forwarded again. */
    public static final String HOP_HEADER = "X-Vantage-Hop";

    private RoutingOutcome outcome = RoutingOutcome.REJECT;
    private RoutingTarget target;
    private int status;
    private String reason = "";
    private long retryAfterSeconds;
    private String setCookieName;
    private String setCookieValue;
    private long cookieMaxAgeSeconds;
    private boolean moved;

    public RoutingOutcome outcome() {
        return outcome;
    }

    /** The chosen target, {@code null} for {@link RoutingOutcome#REJECT}. */
    public RoutingTarget target() {
        return target;
    }

    /** 307 for redirects, 503 or 429 for rejections, 0 when proxying. */
    public int status() {
        return status;
    }

    /** One line for the client (rejections) or for logs. */
    public String reason() {
        return reason;
    }

    /** The Retry-After value in seconds for 429 and 503 answers, 0 when none. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The prefix of the {@code Location} header for redirects (the chosen site's public URL, no trailing slash). */
    public String redirectLocationPrefix() {
        return target == null ? null : target.publicUrl();
    }

    /** True when the response must carry a {@code Set-Cookie} with {@link #setCookieName()}={@link #setCookieValue()}. */
    public boolean setCookie() {
        return setCookieValue != null;
    }

    public String setCookieName() {
        return setCookieName;
    }

    public String setCookieValue() {
        return setCookieValue;
    }

    public long cookieMaxAgeSeconds() {
        return cookieMaxAgeSeconds;
    }

    /** True when a sticky user was moved off the target it was pinned to (unhealthy, draining, gone or tampered). */
    public boolean moved() {
        return moved;
    }

    /** The whole {@code Set-Cookie} header value (allocates; only called when {@link #setCookie()} is true). */
    public String setCookieHeader() {
        return setCookieName + "=" + setCookieValue + "; Max-Age=" + cookieMaxAgeSeconds + "; Path=/; HttpOnly; SameSite=Lax";
    }

    /** Resets to the state before a routing call. */
    public RoutingDecision reset() {
        outcome = RoutingOutcome.REJECT;
        target = null;
        status = 0;
        reason = "";
        retryAfterSeconds = 0;
        setCookieName = null;
        setCookieValue = null;
        cookieMaxAgeSeconds = 0;
        moved = false;
        return this;
    }

    public RoutingDecision proxy(RoutingTarget chosen) {
        outcome = RoutingOutcome.PROXY;
        target = chosen;
        status = 0;
        return this;
    }

    public RoutingDecision redirect(RoutingTarget chosen) {
        outcome = RoutingOutcome.REDIRECT;
        target = chosen;
        status = 307;
        return this;
    }

    public RoutingDecision reject(int rejectStatus, String rejectReason, long retryAfter) {
        outcome = RoutingOutcome.REJECT;
        target = null;
        status = rejectStatus;
        reason = rejectReason;
        retryAfterSeconds = retryAfter;
        setCookieValue = null;
        return this;
    }

    public RoutingDecision reason(String text) {
        reason = text;
        return this;
    }

    public RoutingDecision cookie(String name, String value, long maxAgeSeconds) {
        setCookieName = name;
        setCookieValue = value;
        cookieMaxAgeSeconds = maxAgeSeconds;
        return this;
    }

    public RoutingDecision moved(boolean value) {
        moved = value;
        return this;
    }

    @Override
    public String toString() {
        return "RoutingDecision[" + outcome + " " + (target == null ? status + " " + reason : target.key()) + "]";
    }
}
