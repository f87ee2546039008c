import { useEffect, useState } from 'react';
import { ChatRoom } from './ChatRoom';
import { Diagnostics } from './Diagnostics';
import { LiveDashboard } from './LiveDashboard';

type Tab = 'chat' | 'dashboard' | 'diagnostics';

// Routes by URL: /chat/<room>?name=<you>, /dashboard, /diagnostics.
function currentRoute(): { tab: Tab; room: string } {
  const [, first, second] = window.location.pathname.split('/');
  if (first === 'dashboard') return { tab: 'dashboard', room: 'general' };
  if (first === 'diagnostics') return { tab: 'diagnostics', room: 'general' };
  return { tab: 'chat', room: decodeURIComponent(second || 'general') };
}

function userName(): string {
  const fromUrl = new URLSearchParams(window.location.search).get('name');
  if (fromUrl) return fromUrl;
  // One guest per browser (not per tab): its tabs are one user, so they share one socket.
  const stored = localStorage.getItem('demo-name');
  if (stored) return stored;
  const name = `guest-${Math.floor(Math.random() * 900 + 100)}`;
  localStorage.setItem('demo-name', name);
  return name;
}

export function App() {
  const [route, setRoute] = useState(currentRoute);
  const [name] = useState(userName);
  useEffect(() => {
    const onPop = () => setRoute(currentRoute());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const go = (path: string) => {
    window.history.pushState(null, '', `${path}${window.location.search}`);
    setRoute(currentRoute());
  };
  return (
    <div className="app">
      <nav className="topbar">
        <span className="brand">realtime<span>·wasm</span></span>
        <button className={route.tab === 'chat' ? 'tab active' : 'tab'} onClick={() => go(`/chat/${route.room}`)}>Chat</button>
        <button className={route.tab === 'dashboard' ? 'tab active' : 'tab'} onClick={() => go('/dashboard')}>Dashboard</button>
        <button className={route.tab === 'diagnostics' ? 'tab active' : 'tab'} onClick={() => go('/diagnostics')}>Diagnostics</button>
        <span className="whoami">signed in as <strong>{name}</strong></span>
      </nav>
      <main>
        {route.tab === 'chat' && <ChatRoom roomId={route.room} userName={name} />}
        {route.tab === 'dashboard' && <LiveDashboard />}
        {route.tab === 'diagnostics' && <Diagnostics roomId={route.room} userName={name} />}
      </main>
    </div>
  );
}
