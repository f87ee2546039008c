import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RealtimeProvider } from 'realtime-wasm/react';
import { App } from './App';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {/* One runtime for every tab of the demo: two chat tabs are one socket at the server. */}
    <RealtimeProvider runtime="shared">
      <App />
    </RealtimeProvider>
  </StrictMode>,
);
