import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useWebSocket } from 'realtime-wasm/react';
import { chatConfig } from './urls';

interface ChatMessage {
  id: string;
  clientId?: string;
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

type Line = { kind: 'message'; message: ChatMessage; pending: boolean } | { kind: 'notice'; notice: Notice };

const newId = () => (globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`);
const IMAGE_URL = /^(https:\/\/\S+\.(png|jpe?g|gif|webp|svg)|data:image\/\S+)$/i;

export function ChatRoom({ roomId, userName }: { roomId: string; userName: string }) {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [pending, setPending] = useState<ChatMessage[]>([]);
  const [notices, setNotices] = useState<(Notice & { after: number })[]>([]);
  const [typing, setTyping] = useState<string[]>([]);
  const [present, setPresent] = useState<string[]>([]);
  const [currentMessage, setCurrentMessage] = useState('');
  const messagesEndRef = useRef<HTMLDivElement>(null);
  const config = useMemo(() => chatConfig(roomId, userName), [roomId, userName]);
  const { sendMessage, subscribe, isConnected, connectionState } = useWebSocket(config);

  useEffect(() => {
    const notice = (text: string) =>
      setNotices((prev) => [...prev.slice(-20), { id: newId(), text, after: Date.now() }]);
    const unsubscribers = [
      subscribe('message_history', (history: ChatMessage[]) => setMessages(history)),
      subscribe('message', (message: ChatMessage) => {
        setMessages((prev) => (prev.some((m) => m.id === message.id) ? prev : [...prev, message]));
        if (message.clientId) setPending((prev) => prev.filter((p) => p.clientId !== message.clientId));
        setTyping((prev) => prev.filter((n) => n !== message.author.name));
      }),
      subscribe('message_edited', (edited: ChatMessage) =>
        setMessages((prev) => prev.map((m) => (m.id === edited.id ? edited : m)))),
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
  }, [messages, pending, typing]);

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

  // Sending works offline too: the runtime queues the message and delivers it after the
  // reconnect; it shows as pending until the server echoes it back (matched by clientId).
  const handleSendMessage = (e: React.FormEvent) => {
    e.preventDefault();
    const content = currentMessage.trim();
    if (!content) return;
    const clientId = newId();
    const type = IMAGE_URL.test(content) ? 'image' : 'text';
    setPending((prev) => [...prev, {
      id: clientId, clientId, content, type, timestamp: Date.now(),
      author: { id: userName, name: userName, avatar: '' },
    }]);
    sendMessage({ type: 'send_message', payload: { content, type, clientId } });
    setCurrentMessage('');
    stopTyping();
  };

  const lines: Line[] = [
    ...messages.map((message) => ({ kind: 'message' as const, message, pending: false, at: message.timestamp })),
    ...notices.map((notice) => ({ kind: 'notice' as const, notice, at: notice.after })),
    ...pending.map((message) => ({ kind: 'message' as const, message, pending: true, at: Number.MAX_SAFE_INTEGER })),
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
              mine={line.message.author.name === userName}
              onEdit={(content) => sendMessage({ type: 'edit_message', payload: { id: line.message.id, content } })}
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
      {!isConnected && <div className="offline-hint">Offline: messages you send are queued and delivered when the connection is back.</div>}
    </div>
  );
}

function ChatMessageView({ message, pending, mine, onEdit }: {
  message: ChatMessage; pending: boolean; mine: boolean; onEdit: (content: string) => void;
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
        {pending && <span className="pending-indicator">sending…</span>}
        {mine && !pending && message.type === 'text' && (
          <button className="edit-button" type="button" aria-label="Edit"
            onClick={(e) => { e.stopPropagation(); setDraft(message.content); }}>✎</button>
        )}
      </div>
      {showTimestamp && <div className="message-timestamp">{new Date(message.timestamp).toLocaleString()}</div>}
    </div>
  );
}
