import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useChannel, useWebSocket } from 'realtime-wasm/react';
import { chatConfig, roomChannel } from './urls';

interface ChatMessage {
  id: string;
  content: string;
  author: { id: string; name: string; avatar: string };
  timestamp: number;
  type: 'text' | 'image' | 'file';
  edited?: boolean;
}

interface Notice {
  id: string;
  text: string;
}

/** A message of mine: sending… until the server acknowledged it, then delivered ✓; failed
 * (with a retry button) when the acknowledged send was rejected. */
type Delivery = 'sending' | 'delivered' | 'failed';
interface Outgoing {
  message: ChatMessage;
  status: Delivery;
  error?: string;
}

type Line =
  | { kind: 'message'; message: ChatMessage; pending: boolean; outgoing?: Outgoing }
  | { kind: 'notice'; notice: Notice };

// The room's history is the channel's replay: from the oldest publication the server keeps.
const FROM_THE_START = { since: { epoch: '', offset: 0 } };

const newId = () => (globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`);
const IMAGE_URL = /^(https:\/\/\S+\.(png|jpe?g|gif|webp|svg)|data:image\/\S+)$/i;

export function ChatRoom({ roomId, userName }: { roomId: string; userName: string }) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [outgoing, setOutgoing] = useState<Outgoing[]>([]);
  const [notices, setNotices] = useState<(Notice & { after: number })[]>([]);
  const [typing, setTyping] = useState<string[]>([]);
  const [present, setPresent] = useState<string[]>([]);
  const [currentMessage, setCurrentMessage] = useState('');
  const messagesEndRef = useRef<HTMLDivElement>(null);
  const config = useMemo(() => chatConfig(roomId, userName), [roomId, userName]);
  const { sendMessage, sendWithAck, subscribe, isConnected, connectionState } = useWebSocket(config);
  const channel = roomChannel(roomId);

  // The room: every message once, in order, across reconnects (a server restart with the memory
  // store starts a new history: the channel reports a gap and goes on).
  useChannel<ChatMessage>(config, channel, 'message', (message) => {
    setMessages((prev) => (prev.some((m) => m.id === message.id) ? prev : [...prev, message]));
    setTyping((prev) => prev.filter((n) => n !== message.author.name));
  }, FROM_THE_START);
  useChannel<ChatMessage>(config, channel, 'message_edited', (edited) =>
    setMessages((prev) => prev.map((m) => (m.id === edited.id ? edited : m))), FROM_THE_START);

  useEffect(() => {
    const notice = (text: string) =>
      setNotices((prev) => [...prev.slice(-20), { id: newId(), text, after: Date.now() }]);
    const unsubscribers = [
      subscribe('typing_start', ({ userName: who }: { userName: string }) =>
        setTyping((prev) => (prev.includes(who) ? prev : [...prev, who]))),
      subscribe('typing_stop', ({ userName: who }: { userName: string }) =>
        setTyping((prev) => prev.filter((n) => n !== who))),
      subscribe('presence', ({ users }: { users: { name: string }[] }) =>
        setPresent([...new Set(users.map((u) => u.name))])),
      subscribe('user_joined', ({ userName: who }: { userName: string }) => {
        notice(`${who} joined`);
        setPresent((prev) => (prev.includes(who) ? prev : [...prev, who]));
      }),
      subscribe('user_left', ({ userName: who }: { userName: string }) => {
        notice(`${who} left`);
        setPresent((prev) => prev.filter((n) => n !== who));
        setTyping((prev) => prev.filter((n) => n !== who));
      }),
    ];
    return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
  }, [subscribe]);

  useEffect(() => {
    messagesEndRef.current?.scrollIntoView?.({ behavior: 'smooth' });
  }, [messages, outgoing, typing]);

  // Typing indicators: start on input, stop after 1 s of quiet.
  const typingTimeoutRef = useRef<ReturnType<typeof setTimeout>>();
  const typingRef = useRef(false);
  const stopTyping = useCallback(() => {
    clearTimeout(typingTimeoutRef.current);
    if (typingRef.current) sendMessage({ type: 'typing_stop', payload: {} });
    typingRef.current = false;
  }, [sendMessage]);
  const handleTyping = useCallback(() => {
    if (!typingRef.current && isConnected) sendMessage({ type: 'typing_start', payload: {} });
    typingRef.current = isConnected;
    clearTimeout(typingTimeoutRef.current);
    typingTimeoutRef.current = setTimeout(stopTyping, 1000);
  }, [isConnected, sendMessage, stopTyping]);
  useEffect(() => () => clearTimeout(typingTimeoutRef.current), []);

  // An acknowledged send: kept by the runtime and re-sent after every reconnect (offline too)
  // until the server acknowledges it; the server handles each message id once. A retry re-sends
  // the same id, so it can never post the message twice.
  const deliver = useCallback((message: ChatMessage) => {
    const mark = (status: Delivery, error?: string) =>
      setOutgoing((prev) => prev.map((o) => (o.message.id === message.id ? { ...o, status, error } : o)));
    mark('sending');
    sendWithAck({ type: 'send_message', id: message.id, payload: { content: message.content, type: message.type } },
      { timeout: 30_000 })
      .then(() => mark('delivered'), (err: { message?: string }) => mark('failed', err.message));
  }, [sendWithAck]);

  const handleSendMessage = (e: React.FormEvent) => {
    e.preventDefault();
    const content = currentMessage.trim();
    if (!content) return;
    const message: ChatMessage = {
      id: newId(), content, type: IMAGE_URL.test(content) ? 'image' : 'text', timestamp: Date.now(),
      author: { id: userName, name: userName, avatar: '' },
    };
    setOutgoing((prev) => [...prev.slice(-50), { message, status: 'sending' }]);
    deliver(message);
    setCurrentMessage('');
    stopTyping();
  };

  const delivered = new Set(messages.map((m) => m.id));
  const mine = new Map(outgoing.map((o) => [o.message.id, o]));
  const lines: Line[] = [
    ...messages.map((message) => ({
      kind: 'message' as const, message, pending: false, outgoing: mine.get(message.id), at: message.timestamp,
    })),
    ...notices.map((notice) => ({ kind: 'notice' as const, notice, at: notice.after })),
    ...outgoing.filter((o) => !delivered.has(o.message.id)).map((o) => ({
      kind: 'message' as const, message: o.message, pending: true, outgoing: o, at: Number.MAX_SAFE_INTEGER,
    })),
  ].sort((a, b) => a.at - b.at);

  const others = typing.filter((n) => n !== userName);
  return (
    <div className="chat-room">
      <div className="chat-header">
        <div>
          <h2>Chat Room</h2>
          <div className="room-name">#{roomId} · {present.length} online</div>
        </div>
        <div className="connection-status" title={connectionState} data-state={connectionState}>
          {isConnected ? <span className="status-connected">●</span> : <span className="status-disconnected">●</span>}
          <span className="status-label">{isConnected ? 'Connected' : connectionState === 'connecting' ? 'Reconnecting…' : 'Offline'}</span>
        </div>
      </div>

      <div className="chat-messages">
        {lines.map((line) =>
          line.kind === 'notice' ? (
            <div key={line.notice.id} className="chat-notice">{line.notice.text}</div>
          ) : (
            <ChatMessageView
              key={line.message.id}
              message={line.message}
              pending={line.pending}
              delivery={line.outgoing?.status}
              error={line.outgoing?.error}
              mine={line.message.author.name === userName}
              onRetry={() => deliver(line.message)}
              onEdit={(content) => {
                sendWithAck({ type: 'edit_message', payload: { id: line.message.id, content } }).catch(() => {});
              }}
            />
          ),
        )}
        {others.length > 0 && (
          <div className="typing-indicator">
            {others.join(', ')} {others.length === 1 ? 'is' : 'are'} typing...
          </div>
        )}
        <div ref={messagesEndRef} />
      </div>

      <form onSubmit={handleSendMessage} className="chat-input">
        <input
          type="text"
          value={currentMessage}
          onChange={(e) => {
            setCurrentMessage(e.target.value);
            handleTyping();
          }}
          placeholder="Type a message..."
          aria-label="Message"
        />
        <button type="submit" disabled={!currentMessage.trim()}>
          Send
        </button>
      </form>
      {!isConnected && <div className="offline-hint">Offline: messages you send are kept and delivered, once, when the connection is back.</div>}
    </div>
  );
}

function ChatMessageView({ message, pending, delivery, error, mine, onEdit, onRetry }: {
  message: ChatMessage; pending: boolean; delivery?: Delivery; error?: string; mine: boolean;
  onEdit: (content: string) => void; onRetry: () => void;
}) {
  const [showTimestamp, setShowTimestamp] = useState(false);
  const [draft, setDraft] = useState<string | null>(null);
  const initials = message.author.name.slice(0, 2).toUpperCase();
  if (draft !== null) {
    return (
      <form
        className="chat-message mine editing"
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.trim() && draft.trim() !== message.content) onEdit(draft.trim());
          setDraft(null);
        }}
      >
        <input autoFocus value={draft} onChange={(e) => setDraft(e.target.value)} aria-label="Edit message"
          onKeyDown={(e) => e.key === 'Escape' && setDraft(null)} />
      </form>
    );
  }
  return (
    <div
      className={`chat-message ${message.type}${mine ? ' mine' : ''}${pending ? ' pending' : ''}`}
      onClick={() => setShowTimestamp(!showTimestamp)}
      data-testid={pending ? 'pending-message' : 'chat-message'}
    >
      <div className="message-author">
        <span className="avatar" aria-hidden>{initials}</span>
        <span>{message.author.name}</span>
      </div>
      <div className="message-content">
        {message.type === 'image' ? <img src={message.content} alt="Shared image" /> : message.content}
        {message.edited && <span className="edited-indicator">(edited)</span>}
        {delivery === 'sending' && <span className="pending-indicator">sending…</span>}
        {delivery === 'delivered' && <span className="delivered-indicator">delivered ✓</span>}
        {delivery === 'failed' && (
          <span className="failed-indicator" title={error}>
            failed{' '}
            <button type="button" onClick={(e) => { e.stopPropagation(); onRetry(); }}>Retry</button>
          </span>
        )}
        {mine && !pending && message.type === 'text' && (
          <button className="edit-button" type="button" aria-label="Edit"
            onClick={(e) => { e.stopPropagation(); setDraft(message.content); }}>✎</button>
        )}
      </div>
      {showTimestamp && <div className="message-timestamp">{new Date(message.timestamp).toLocaleString()}</div>}
    </div>
  );
}
