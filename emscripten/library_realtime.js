// Emscripten JS library: the browser side of the runtime. The C++ core never sees a WebSocket or
// a JS value; it calls these functions with integers and (pointer, length) byte ranges, and they
// call back into exported C functions (rt_ws_on_*) the same way.
//
// Why not emscripten's websocket.h (3.1.6)? Its emscripten_websocket_delete() never frees a
// socket (`delete WS.sockets[socket]` keys by the object), so every reconnect leaks; it mallocs
// and frees every message; it always uses the global WebSocket (no per-manager constructor, no
// Node without a global); and a bad URL throws through the wasm frames. This library keeps the
// same shape (open/send/close/delete + open/message/close callbacks) without those flaws.
mergeInto(LibraryManager.library, {
  $RT__deps: ['malloc', 'free'],
  $RT: {
    sockets: {},         // socket id -> WebSocket (library objects are serialized: no Map here)
    live: 0,
    nextSocket: 1,
    scratch: 0,          // reusable heap buffer for inbound text
    scratchSize: 0,
    encoder: null,
    decoder: null,
    hostObject: null,
    host: function() {
      var host = RT.hostObject;
      if (host !== null) return host;
      host = Module['rtHost'];
      if (!host) throw new Error('realtime-wasm: module used before web/ installed rtHost');
      return RT.hostObject = host;
    },
    staged: null,        // the string whose UTF-8 is in scratch, when it is all ASCII; else null
    chunk: null,         // the SSE fetch chunk in scratch while it is parsed, not decoded yet
    feeding: false,      // an SSE fetch chunk is being parsed
    scratchView: null,   // HEAPU8 view of scratch (made again after a memory growth)
    // Makes the scratch buffer at least `need` bytes; returns its heap view.
    reserve: function(need) {
      if (need > RT.scratchSize) {
        if (RT.scratch) _free(RT.scratch);
        RT.scratchSize = Math.max(need, 4096);
        RT.scratch = _malloc(RT.scratchSize);
        RT.scratchView = null;
      }
      var view = RT.scratchView;
      if (view === null || view.buffer !== HEAPU8.buffer) {
        view = RT.scratchView = HEAPU8.subarray(RT.scratch, RT.scratch + RT.scratchSize);
      }
      return view;
    },
    // Copies a JS string into the scratch buffer as UTF-8; returns the byte length.
    stage: function(str) {
      RT.chunk = null;
      var view = RT.reserve(str.length * 3 + 1);
      if (!RT.encoder) RT.encoder = new TextEncoder();
      var written = RT.encoder.encodeInto(str, view).written;
      // One byte per UTF-16 unit only when every character is ASCII: then byte offsets are
      // string offsets, and text inside the frame can be sliced from `str` (see stagedText).
      RT.staged = written === str.length ? str : null;
      return written;
    },
    // The text of the heap bytes [ptr, ptr + len): a slice of the staged string when they lie
    // in an all-ASCII staged frame (no copy out of the heap, no UTF-8 decoding), else decoded.
    stagedText: function(ptr, len) {
      var off = ptr - RT.scratch;
      var chunk = RT.chunk;
      if (chunk !== null && off >= 0 && off + len <= chunk.length) {
        // A fetch chunk in scratch, decoded once for all its events. One UTF-16 unit per byte
        // and no U+FFFD prove it all ASCII (a multi-byte sequence decodes to fewer units, an
        // invalid byte to U+FFFD): then it is the staged string.
        RT.chunk = null;
        var text = RT.text(RT.scratch, chunk.length);
        if (text.length === chunk.length && text.indexOf('\uFFFD') < 0) RT.staged = text;
      }
      var staged = RT.staged;
      if (staged !== null && off >= 0 && off + len <= staged.length) {
        return off === 0 && len === staged.length ? staged : staged.slice(off, off + len);
      }
      return RT.text(ptr, len);
    },
    forget: function(id) {
      if (RT.sockets[id]) {
        delete RT.sockets[id];
        RT.live--;
      }
    },
    // Copies bytes (a Uint8Array) into the scratch buffer.
    stageBytes: function(bytes) {
      RT.reserve(bytes.length).set(bytes);
      RT.staged = null;  // scratch holds no staged string now
      return bytes.length;
    },
    // Stages several strings back to back; returns [pointer, length] pairs.
    stageAll: function(strs) {
      var joined = strs.join('');
      RT.stage(joined);
      var ascii = RT.staged !== null;  // then each string's byte length is its length
      var out = [], ptr = RT.scratch;
      for (var i = 0; i < strs.length; i++) {
        var len = ascii ? strs[i].length : lengthBytesUTF8(strs[i]);
        out.push(ptr, len);
        ptr += len;
      }
      return out;
    },
    streams: {},       // SSE stream id -> { handle, close() }
    liveStreams: 0,
    nextStream: 1,
    forgetStream: function(id) {
      var stream = RT.streams[id];
      if (!stream) return null;
      delete RT.streams[id];
      RT.liveStreams--;
      return stream;
    },
    // EventSource transport: listen to one more event name on a handle's open EventSources.
    sseListen: function(handle, type) {
      for (var id in RT.streams) {
        var stream = RT.streams[id];
        if (stream.handle === handle && stream.listen) stream.listen(type);
      }
    },
    sseTypeNames: {},  // handle -> [typeId] -> event name (rt_emit_sse)
    // Short text (event ids): ASCII without a TextDecoder call, whose fixed cost dominates there.
    shortText: function(ptr, len) {
      if (len > 24) return RT.text(ptr, len);
      var s = '';
      for (var i = 0; i < len; i++) {
        var c = HEAPU8[ptr + i];
        if (c > 127) return RT.text(ptr, len);
        s += String.fromCharCode(c);
      }
      return s;
    },
    text: function(ptr, len) {
      // ignoreBOM: a value may start with U+FEFF (the SSE parser already dropped the stream's
      // one BOM); a default TextDecoder would strip it from every value it decodes.
      if (!RT.decoder) RT.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      return len ? RT.decoder.decode(HEAPU8.subarray(ptr, ptr + len)) : '';
    },
  },

  // Opens a WebSocket for the C++ client `client` (its pointer, passed back in callbacks).
  // Returns a socket id, or 0 when the socket cannot be created (bad URL, no WebSocket at all).
  rt_ws_open__deps: ['$RT', 'rt_ws_on_open', 'rt_ws_on_message', 'rt_ws_on_close',
                     'rt_ws_on_oversize', 'rt_ws_on_error'],
  rt_ws_open: function(client, handle, urlPtr, urlLen, protocolsPtr, protocolsLen, maxBytes) {
    var url = RT.text(urlPtr, urlLen);
    var protocols = protocolsLen ? RT.text(protocolsPtr, protocolsLen).split(',') : undefined;
    var socket;
    try {
      var Ctor = RT.host().webSocketFor(handle);
      socket = protocols ? new Ctor(url, protocols) : new Ctor(url);
    } catch (e) {
      return 0;
    }
    socket.binaryType = 'arraybuffer';
    var id = RT.nextSocket++;
    RT.sockets[id] = socket;
    RT.live++;
    socket.onopen = function() {
      var p = RT.stageAll([String(socket.protocol || '')]);
      _rt_ws_on_open(client, id, p[0], p[1]);
      RT.staged = null;
    };
    socket.onmessage = function(e) {
      var data = e.data;
      if (typeof data === 'string') {
        // UTF-8 is never shorter than UTF-16 code units: such a frame is over the limit whatever
        // it holds, so it is not copied into the heap (a hostile 100 MB frame would otherwise
        // grow the wasm memory to 300 MB before C++ could say no).
        if (data.length > maxBytes) return _rt_ws_on_oversize(client, id, data.length);
        var len = RT.stage(data);
        _rt_ws_on_message(client, id, RT.scratch, len, 1);
        RT.staged = null;
      } else {
        _rt_ws_on_message(client, id, 0, data.byteLength || data.size || 0, 0);
      }
    };
    socket.onclose = function(e) {
      RT.forget(id);
      var len = RT.stage(String(e.reason || '').slice(0, 123));
      _rt_ws_on_close(client, id, e.code | 0, RT.scratch, len, e.wasClean ? 1 : 0);
      RT.staged = null;
    };
    // A close event always follows. Where the socket says why (the `ws` package does, browsers
    // do not), a reason we recognise becomes an error event: a server that sends invalid UTF-8
    // or an over-long frame is reported as such, not only as a 1006 close. Only fixed texts are
    // passed on: a foreign error message could hold the URL (and a token in it).
    // C++ maps the implementation's code to an Errc (ws_client.cpp rt_ws_on_error) and ignores
    // the ones it does not know.
    socket.onerror = function(e) {
      var code = e && e.error && e.error.code;
      if (typeof code !== 'string' || !RT.sockets[id]) return;
      var p = RT.stageAll([code]);
      _rt_ws_on_error(client, id, p[0], p[1]);
    };
    return id;
  },

  rt_ws_send__deps: ['$RT'],
  rt_ws_send: function(id, ptr, len) {
    var socket = RT.sockets[id];
    if (socket && socket.readyState === 1) socket.send(RT.text(ptr, len));
  },

  rt_ws_close__deps: ['$RT'],
  rt_ws_close: function(id, code, reasonPtr, reasonLen) {
    var socket = RT.sockets[id];
    if (!socket) return;
    try {
      socket.close(code, RT.text(reasonPtr, reasonLen));
    } catch (e) {
      socket.close();  // 4000 is valid, but a foreign constructor may only accept 1000
    }
  },

  // Forgets a socket: no more callbacks; closes it if it is still connecting or open.
  rt_ws_release__deps: ['$RT'],
  rt_ws_release: function(id) {
    var socket = RT.sockets[id];
    if (!socket) return;
    RT.forget(id);
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = function() {};
    if (socket.readyState < 2) {
      try { socket.close(1000); } catch (e) {}
    }
  },

  rt_ws_live_sockets__deps: ['$RT'],
  rt_ws_live_sockets: function() { return RT.live; },

  // ---- events from C++ to the web/ layer ----
  rt_emit_state__deps: ['$RT'],
  rt_emit_state: function(handle, newPtr, newLen, oldPtr, oldLen) {
    RT.host().state(handle, RT.shortText(newPtr, newLen), RT.shortText(oldPtr, oldLen));
  },
  rt_emit_message__deps: ['$RT'],
  rt_emit_message: function(handle, typeId, ptr, len) {
    RT.host().message(handle, typeId, RT.stagedText(ptr, len));
  },
  rt_emit_raw__deps: ['$RT'],
  rt_emit_raw: function(handle, ptr, len) {
    RT.host().raw(handle, RT.stagedText(ptr, len));
  },
  rt_emit_error__deps: ['$RT'],
  rt_emit_error: function(handle, code, ptr, len) {
    RT.host().error(handle, code, RT.text(ptr, len));
  },
  rt_emit_close__deps: ['$RT'],
  rt_emit_close: function(handle, code, ptr, len, clean) {
    RT.host().close(handle, code, RT.text(ptr, len), !!clean);
  },
  rt_emit_ack__deps: ['$RT'],
  rt_emit_ack: function(handle, idPtr, idLen, code, detailPtr, detailLen) {
    RT.host().ack(handle, RT.text(idPtr, idLen), code, RT.text(detailPtr, detailLen));
  },
  rt_emit_publication__deps: ['$RT'],
  rt_emit_publication: function(handle, channelId, typePtr, typeLen, payloadPtr, payloadLen,
                                idPtr, idLen, offset, timestamp) {
    RT.host().publication(handle, channelId, RT.stagedText(typePtr, typeLen),
                          RT.stagedText(payloadPtr, payloadLen), RT.stagedText(idPtr, idLen),
                          offset, timestamp);
  },
  rt_emit_gap__deps: ['$RT'],
  rt_emit_gap: function(handle, channelId, fromEpochPtr, fromEpochLen, fromOffset, epochPtr, epochLen) {
    RT.host().gap(handle, channelId, RT.text(fromEpochPtr, fromEpochLen), fromOffset,
                  RT.text(epochPtr, epochLen));
  },
  rt_emit_url_request__deps: ['$RT'],
  rt_emit_url_request: function(handle, seq) {
    RT.host().url(handle, seq);
  },
  rt_emit_token_request__deps: ['$RT'],
  rt_emit_token_request: function(handle, seq) {
    RT.host().token(handle, seq);
  },
  rt_emit_auth__deps: ['$RT'],
  rt_emit_auth: function(handle, phasePtr, phaseLen, reasonPtr, reasonLen, expiresAt) {
    RT.host().auth(handle, RT.text(phasePtr, phaseLen), RT.text(reasonPtr, reasonLen), expiresAt);
  },
  // emscripten_set_timeout, unref'd in Node (the credentials' refresh before expiry). The id it
  // returns (a Node Timeout's primitive) is what emscripten_clear_timeout takes.
  rt_set_timeout_unref__deps: ['$callUserCallback'],
  rt_set_timeout_unref: function(cb, msecs, userData) {
    var t = setTimeout(function() {
      callUserCallback(function() {
        {{{ makeDynCall('vi', 'cb') }}}(userData);
      });
    }, msecs);
    if (t && typeof t.unref === 'function') t.unref();
    return t;
  },
  // The page lifecycle, as inputs for the sessions (the decisions are C++'s: src/connector.h).
  // Installed once, on the first native client; the event names go to C++ as the browser
  // spells them. A worker has online/offline only; plain Node has none of them.
  rt_lifecycle_install__deps: ['$RT', 'rt_lifecycle'],
  rt_lifecycle_install: function() {
    var g = typeof globalThis === 'object' ? globalThis : self;
    var doc = typeof document === 'object' && document ? document : null;
    if (!RT.lifecycle && typeof g.addEventListener === 'function') {
      RT.lifecycle = true;
      var fire = function(name) {
        var p = RT.stageAll([name]);
        _rt_lifecycle(p[0], p[1]);
        RT.staged = null;
      };
      g.addEventListener('online', function() { fire('online'); });
      g.addEventListener('offline', function() { fire('offline'); });
      g.addEventListener('pagehide', function(e) { if (e.persisted) fire('pagehide'); });
      g.addEventListener('pageshow', function(e) { if (e.persisted) fire('pageshow'); });
      if (doc) {
        doc.addEventListener('visibilitychange', function() { fire(doc.visibilityState); });
        doc.addEventListener('freeze', function() { fire('freeze'); });
        doc.addEventListener('resume', function() { fire('resume'); });
      }
    }
    var online = typeof navigator !== 'object' || navigator.onLine !== false;
    var visible = !doc || doc.visibilityState !== 'hidden';
    return (online ? 1 : 0) | (visible ? 2 : 0);
  },
  rt_emit_drop__deps: ['$RT'],
  rt_emit_drop: function(handle, reasonPtr, reasonLen, count) {
    RT.host().drop(handle, RT.shortText(reasonPtr, reasonLen), count);
  },
  // ---- Server-Sent Events: a fetch stream fed to the C++ parser, or the browser's EventSource ----
  rt_sse_open__deps: ['$RT', 'rt_sse_on_open', 'rt_sse_on_bytes', 'rt_sse_on_event', 'rt_sse_on_end',
                      'rt_sse_on_retrying', 'rt_sse_on_oversize'],
  rt_sse_open__postset: "Module['rtSseListen'] = function(handle, type) { RT.sseListen(handle, type); };",
  rt_sse_open: function(client, handle, urlPtr, urlLen, idPtr, idLen, maxEventBytes) {
    var url = RT.text(urlPtr, urlLen);
    var lastEventId = RT.text(idPtr, idLen);
    var request = RT.host().sseRequest(handle);
    try {
      var base = typeof location === 'object' && location ? location.href : undefined;
      url = new URL(url, base).toString();
    } catch (e) {
      return 0;
    }
    var id = RT.nextStream++;
    RT.liveStreams++;
    if (request.transport === 'eventsource') {
      var ES = request.EventSource;
      var es;
      try {
        es = new ES(url, { withCredentials: !!request.withCredentials });
      } catch (e) {
        RT.liveStreams--;
        return 0;
      }
      var deliver = function(e) {
        var data = String(e.data);
        if (data.length > maxEventBytes) {  // over the limit whatever it holds: not copied
          var q = RT.stageAll([String(e.lastEventId || '')]);
          return _rt_sse_on_oversize(client, id, q[0], q[1], data.length);
        }
        var p = RT.stageAll([e.type, data, String(e.lastEventId || '')]);
        _rt_sse_on_event(client, id, p[0], p[1], p[2], p[3], p[4], p[5]);
        RT.staged = null;
      };
      var listening = Object.create(null);  // event names are the server's: 'constructor' too
      RT.streams[id] = {
        handle: handle,
        close: function() { es.close(); },
        listen: function(type) {
          if (listening[type]) return;
          listening[type] = true;
          es.addEventListener(type, deliver);
        },
      };
      RT.streams[id].listen('message');
      request.types.forEach(function(type) { RT.streams[id].listen(type); });
      es.onopen = function() {
        var p = RT.stageAll(['text/event-stream']);
        _rt_sse_on_open(client, id, 200, p[0], p[1]);
      };
      es.onerror = function() {
        if (!RT.streams[id]) return;
        if (es.readyState === 2) {
          // The browser failed the connection (HTTP error or wrong type; it does not say which):
          // status 0 tells the session so.
          _rt_sse_on_open(client, id, 0, 0, 0);
        } else {
          _rt_sse_on_retrying(client, id);
        }
      };
      return id;
    }
    var controller = new AbortController();
    RT.streams[id] = { handle: handle, close: function() { controller.abort(); } };
    var headers = Object.assign({ 'Accept': 'text/event-stream' }, request.headers || {});
    if (lastEventId) headers['Last-Event-ID'] = lastEventId;
    var init = {
      method: request.method || 'GET',
      headers: headers,
      cache: 'no-store',
      credentials: request.withCredentials ? 'include' : 'same-origin',
      signal: controller.signal,
    };
    if (request.body != null) init.body = request.body;
    var live = function() { return RT.streams[id] !== undefined; };
    var end = function() {
      if (RT.forgetStream(id)) _rt_sse_on_end(client, id);
    };
    (request.fetch || fetch)(url, init).then(function(response) {
      if (!live()) return;
      var p = RT.stageAll([response.headers.get('content-type') || '']);
      _rt_sse_on_open(client, id, response.status, p[0], p[1]);
      if (!live() || !response.body) return end();
      var reader = response.body.getReader();
      var pump = function() {
        return reader.read().then(function(r) {
          if (!live()) return reader.cancel().catch(function() {});
          if (r.done) return end();
          var len = RT.stageBytes(r.value);
          RT.chunk = r.value;  // decoded on the first event that needs its text (stagedText)
          RT.feeding = true;
          _rt_sse_on_bytes(client, id, RT.scratch, len);
          RT.feeding = false;
          RT.chunk = null;
          return pump();
        });
      };
      return pump();
    }).catch(end);
    return id;
  },

  rt_sse_close__deps: ['$RT'],
  rt_sse_close: function(id) {
    var stream = RT.forgetStream(id);
    if (stream) {
      delete RT.sseTypeNames[stream.handle];
      try { stream.close(); } catch (e) {}
    }
  },

  rt_sse_live_streams__deps: ['$RT'],
  rt_sse_live_streams: function() { return RT.liveStreams; },

  rt_emit_sse__deps: ['$RT'],
  rt_emit_sse: function(handle, typeId, typePtr, typeLen, dataPtr, dataLen, idPtr, idLen, mayBeJson) {
    var type;
    if (typeId !== 0) {
      // A client's type ids are never reused for another name: decode each name once.
      var names = RT.sseTypeNames[handle] || (RT.sseTypeNames[handle] = []);
      type = names[typeId];
      if (type === undefined) type = names[typeId] = RT.text(typePtr, typeLen);
    } else {
      type = RT.stagedText(typePtr, typeLen);
    }
    // EventSource transport: the fields were staged from JS strings, and come back as slices of
    // them when ASCII (stagedText). Fetch transport (`feeding`): data that JS parses next is a
    // slice of the chunk's text, other data is copied out (a slice would keep the whole chunk
    // alive for as long as a subscriber keeps the string); the id is in the parser's buffer.
    var feeding = RT.feeding;
    var data = feeding && !mayBeJson ? RT.text(dataPtr, dataLen) : RT.stagedText(dataPtr, dataLen);
    var id = feeding || RT.staged === null ? RT.shortText(idPtr, idLen) : RT.stagedText(idPtr, idLen);
    RT.host().sse(handle, typeId, type, data, id, mayBeJson);
  },
  rt_emit_http_error__deps: ['$RT'],
  rt_emit_http_error: function(handle, code, ptr, len, status) {
    RT.host().error(handle, code, RT.text(ptr, len), status);
  },

  rt_date_now: function() { return Date.now(); },
  rt_random_u32: function() {
    var buf = new Uint32Array(1);
    crypto.getRandomValues(buf);
    return buf[0];
  },
});
