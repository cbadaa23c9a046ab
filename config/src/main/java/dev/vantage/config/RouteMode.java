package dev.vantage.config;

/**
 * What a route does with a matched request: {@link #PROXY} forwards it to the chosen mirror or upstream;
 * {@link #REDIRECT} answers 307 with {@code Location} = the chosen mirror site's {@code publicUrl} + the request target.
 */
public enum RouteMode { PROXY, REDIRECT }
