/**
 * "The document on screen has arrived": what a cold open of `/d/:id` waits for before fetching
 * code it does not need to show the document (the notification bell, the comments panel), so that
 * code is not evaluated on the main thread while the editor's is (bench:web's phases). Other pages
 * do not wait; a document that does not sync (offline, say) lets them go after a few seconds.
 */
const AT_MOST_MS = 3_000;

let done = false;
let release: () => void = () => undefined;
const opened = new Promise<void>((resolve) => {
  release = () => {
    done = true;
    resolve();
  };
});
if (location.pathname.startsWith('/d/')) setTimeout(release, AT_MOST_MS);
else release();

/** The editor page says its document has synced (or will not). */
export function documentOpened(): void {
  if (!done) release();
}

/** Resolves once the document on screen, if any, has arrived. */
export function afterDocumentOpen(): Promise<void> {
  return opened;
}
