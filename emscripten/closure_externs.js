// Closure externs for the glue (--closure=1, see module.cmake): the names that
// library_realtime.js reads on objects made by web/src (Module.rtHost, the SSE request from
// sseRequest(), a user's WebSocket / EventSource / fetch). ADVANCED optimizations rename every
// property it does not know to be external; these must keep their names.
/** @externs */
/** @record */
function RtHost() {}
RtHost.prototype.webSocketFor;
RtHost.prototype.sseRequest;
RtHost.prototype.state;
RtHost.prototype.message;
RtHost.prototype.raw;
RtHost.prototype.sse;
RtHost.prototype.error;
RtHost.prototype.close;
RtHost.prototype.drop;
RtHost.prototype.url;
RtHost.prototype.ack;
RtHost.prototype.publication;
RtHost.prototype.gap;
RtHost.prototype.token;
RtHost.prototype.auth;
/** @record */
function NodeTimeout() {}
NodeTimeout.prototype.unref;
/** @record */
function RtSseRequest() {}
RtSseRequest.prototype.transport;
RtSseRequest.prototype.EventSource;
RtSseRequest.prototype.withCredentials;
RtSseRequest.prototype.types;
RtSseRequest.prototype.headers;
RtSseRequest.prototype.method;
RtSseRequest.prototype.body;
RtSseRequest.prototype.fetch;
