package dev.weft.proxy.config;

/**
 * One route: a match and what to do with matching requests.
 *
 * @param requestHeaders  header changes for requests taking this route
 * @param responseHeaders header changes for their responses
 */
public record Route(
    String name,
    RouteMatch match,
    RouteAction action,
    HeaderMutation requestHeaders,
    HeaderMutation responseHeaders) {}
