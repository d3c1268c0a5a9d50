/**
 * Code splitting for screens and dialogs: `lazy(() => import('./x.tsx'), 'X')` is a component that
 * fetches its module on first render (or on `preload()`), so the entry script carries only the
 * shell and the log-in screen (docs/benchmarks.md, bench:web "initial JS"). Hand-rolled rather
 * than preact/compat's lazy + Suspense: those pull the whole compat layer into the entry.
 */
import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export type LazyComponent<P> = ((props: P) => JSX.Element | null) & {
  /** Starts (once) fetching the module, e.g. before a click or a route renders. */
  preload: () => Promise<ComponentType<P>>;
};

type Options = {
  /**
   * What shows while the module loads, and (with `failed`) when it cannot be fetched. Screens say
   * so in a `main` landmark; dialogs show nothing until they can open.
   */
  placeholder?: 'page' | 'none';
};

// biome-ignore lint/suspicious/noExplicitAny: any component props, as Preact's own ComponentType does
export function lazy<M, K extends keyof M, P = M[K] extends ComponentType<infer Q> ? Q : any>(
  load: () => Promise<M>,
  name: K,
  { placeholder = 'page' }: Options = {},
): LazyComponent<P> {
  let loaded: ComponentType<P> | undefined;
  let pending: Promise<ComponentType<P>> | undefined;
  const preload = () => {
    pending ??= load().then(
      (mod) => {
        loaded = mod[name] as ComponentType<P>;
        return loaded;
      },
      (error: unknown) => {
        pending = undefined; // a later render may try again (the network came back)
        throw error;
      },
    );
    return pending;
  };

  function Lazy(props: P): JSX.Element | null {
    const [component, setComponent] = useState<ComponentType<P> | undefined>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (component) return;
      let live = true;
      preload().then(
        (c) => live && setComponent(() => c),
        () => live && setFailed(true),
      );
      return () => {
        live = false;
      };
    }, [component]);
    if (component) {
      const Component = component as ComponentType<P & JSX.IntrinsicAttributes>;
      return <Component {...(props as P & JSX.IntrinsicAttributes)} />;
    }
    if (placeholder === 'none') return null;
    return (
      <main class="page" id="main">
        {failed ? (
          <div class="empty" role="alert">
            <p class="empty-title">This page could not be loaded.</p>
            <p class="muted">Check your connection, then reload the page.</p>
            <p>
              <button type="button" class="button primary" onClick={() => location.reload()}>
                Reload
              </button>
            </p>
          </div>
        ) : (
          <p class="muted loading" role="status">
            Loading…
          </p>
        )}
      </main>
    );
  }
  return Object.assign(Lazy, { preload });
}
