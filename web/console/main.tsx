/** Entry point of the operator console (served at /console/, assets under /static/console/). */
import { render } from 'preact';
import { App } from './app';
import './console.css';
import './desk.css';
import './automation.css';

render(<App />, document.getElementById('app')!);
