package dev.vantage.proxy;

/** Where a request's user location came from, as carried by {@link AccessEvent}. */
public enum UserLocationSource {
    /** No location was resolved (no routing selector, or the request was answered before routing). */
    UNKNOWN,
    /** The device location header ({@code lat,lon}) sent by the client. */
    HEADER,
    /** The client address, through the policy's CIDR table. */
    CIDR,
    /** Neither: the location of the site that received the request, which says nothing about the user. */
    SITE
}
