/** Entry point: one API client for the page, the app mounted into #app. */
import { render } from 'preact';
import { ApiClient } from './api.ts';
import { App } from './app.tsx';
import { loadEditor } from './pages/editor-route.tsx';
import './styles.css';

// Opening a document: start fetching the editor chunk now, in parallel with the session check and
// the first render, instead of after the route renders.
if (location.pathname.startsWith('/d/')) void loadEditor().catch(() => undefined);

const root = document.getElementById('app');
if (root) render(<App api={new ApiClient()} />, root);
