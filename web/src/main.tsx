/** Entry point: one API client for the page, the app mounted into #app. */
import { render } from 'preact';
import { ApiClient } from './api.ts';
import { App } from './app.tsx';
import './styles.css';

const root = document.getElementById('app');
if (root) render(<App api={new ApiClient()} />, root);
