/** Entry point: one API client for the page, the app mounted into #app. */
import { render } from 'preact';
import { ApiClient } from './api.ts';
import { App } from './app.tsx';
import { preopenDocument } from './pages/editor-route.tsx';
import './styles.css';

const api = new ApiClient();
// Opening a document: start fetching the editor's code and syncing the document now, in parallel
// with the first render, instead of after the route renders.
preopenDocument(api, location.pathname);

const root = document.getElementById('app');
if (root) render(<App api={api} />, root);
