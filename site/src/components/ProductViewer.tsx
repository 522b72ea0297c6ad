import {
  Component,
  Suspense,
  lazy,
  useCallback,
  useEffect,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import type { ViewerApi } from './ViewerCanvas';

// three.js, r3f and drei load only once this island is visible and hydrated.
const ViewerCanvas = lazy(() => import('./ViewerCanvas'));

export type ViewerState = 'waiting' | 'loading' | 'ready' | 'error' | 'lost';

export interface ProductViewerProps {
  /** The light public preview copy. The paid original never reaches this component. */
  previewUrl: string;
  posterUrl?: string | null;
  name: string;
  /** Site base path, so decoders load from our own origin wherever the site is mounted. */
  basePath?: string;
}

/** The stage colour; tests compare canvas pixels against it. */
export const VIEWER_BACKGROUND = '#eeece6';

const ROTATE_STEP = Math.PI / 8;
const ZOOM_STEP = 0.8;

class ViewerBoundary extends Component<
  { onError(error: unknown): void; children: ReactNode },
  { failed: boolean }
> {
  state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  componentDidCatch(error: unknown) {
    this.props.onError(error);
  }

  render() {
    return this.state.failed ? null : this.props.children;
  }
}

/**
 * The product page's 3D preview. The server-rendered HTML is the poster alone; once the island
 * is visible it loads the preview model over the poster, and fires `vitrine:viewer-ready` on its
 * root (with `data-state="ready"`) after the first frame with the model is drawn. On a load
 * error or a lost WebGL context it keeps the poster, fires `vitrine:viewer-error`, and offers a retry.
 */
export default function ProductViewer({
  previewUrl,
  posterUrl = null,
  name,
  basePath = '/',
}: ProductViewerProps) {
  const [state, setState] = useState<ViewerState>('waiting');
  const [attempt, setAttempt] = useState(0);
  const rootRef = useRef<HTMLElement>(null);
  const apiRef = useRef<ViewerApi | null>(null);
  const base = basePath.endsWith('/') ? basePath : `${basePath}/`;

  useEffect(() => {
    setState('loading');
  }, []);

  useEffect(() => {
    const root = rootRef.current;
    if (!root) return;
    if (state === 'ready') {
      root.dispatchEvent(
        new CustomEvent('vitrine:viewer-ready', { bubbles: true, detail: { url: previewUrl } }),
      );
    } else if (state === 'error' || state === 'lost') {
      root.dispatchEvent(
        new CustomEvent('vitrine:viewer-error', {
          bubbles: true,
          detail: { url: previewUrl, reason: state },
        }),
      );
    }
  }, [state, previewUrl]);

  const onReady = useCallback(
    () => setState((current) => (current === 'loading' ? 'ready' : current)),
    [],
  );
  const onContextLost = useCallback(() => setState('lost'), []);
  const onError = useCallback((error: unknown) => {
    console.warn('ProductViewer: the 3D preview could not be shown; keeping the poster.', error);
    setState('error');
  }, []);
  const retry = () => {
    setAttempt((n) => n + 1);
    setState('loading');
  };

  const showCanvas = state === 'loading' || state === 'ready';
  const ready = state === 'ready';

  return (
    <figure className="viewer" ref={rootRef} data-state={state} data-background={VIEWER_BACKGROUND}>
      <div className="viewer-stage" style={{ background: VIEWER_BACKGROUND }}>
        {/* The scene is one image to assistive technology; the status line stays outside it,
            because the children of role="img" are not announced. */}
        <div
          className="viewer-scene"
          role="img"
          aria-label={`3D preview of ${name}. Drag to turn it, scroll or pinch to zoom.`}
        >
          {posterUrl ? (
            <img
              className="viewer-poster"
              src={posterUrl}
              alt=""
              aria-hidden="true"
              hidden={ready}
              decoding="async"
            />
          ) : null}
          {showCanvas ? (
            <div className="viewer-canvas" style={{ opacity: ready ? 1 : 0 }}>
              <ViewerBoundary key={attempt} onError={onError}>
                <Suspense fallback={null}>
                  <ViewerCanvas
                    url={previewUrl}
                    dracoPath={`${base}decoders/draco/`}
                    basisPath={`${base}decoders/basis/`}
                    background={VIEWER_BACKGROUND}
                    apiRef={apiRef}
                    onReady={onReady}
                    onContextLost={onContextLost}
                    fresh={attempt > 0}
                  />
                </Suspense>
              </ViewerBoundary>
            </div>
          ) : null}
        </div>
        <div className="viewer-message" role="status" aria-live="polite">
          {state === 'waiting' ? 'The 3D preview loads when it comes into view.' : null}
          {state === 'loading' ? 'Loading the 3D preview…' : null}
          {state === 'error'
            ? 'The 3D preview could not be loaded. The picture shows the model instead.'
            : null}
          {state === 'lost'
            ? 'The graphics card stopped the 3D preview. The picture shows the model instead.'
            : null}
        </div>
      </div>
      <div className="viewer-toolbar" role="toolbar" aria-label="3D preview controls">
        {state === 'error' || state === 'lost' ? (
          <button type="button" onClick={retry}>
            Try the 3D preview again
          </button>
        ) : (
          <>
            <button
              type="button"
              disabled={!ready}
              onClick={() => apiRef.current?.rotate(ROTATE_STEP)}
            >
              Rotate left
            </button>
            <button
              type="button"
              disabled={!ready}
              onClick={() => apiRef.current?.rotate(-ROTATE_STEP)}
            >
              Rotate right
            </button>
            <button type="button" disabled={!ready} onClick={() => apiRef.current?.zoom(ZOOM_STEP)}>
              Zoom in
            </button>
            <button
              type="button"
              disabled={!ready}
              onClick={() => apiRef.current?.zoom(1 / ZOOM_STEP)}
            >
              Zoom out
            </button>
            <button type="button" disabled={!ready} onClick={() => apiRef.current?.reset()}>
              Reset view
            </button>
          </>
        )}
      </div>
      <noscript>
        <p className="viewer-noscript">Turn on JavaScript to turn the model around in 3D.</p>
      </noscript>
    </figure>
  );
}
