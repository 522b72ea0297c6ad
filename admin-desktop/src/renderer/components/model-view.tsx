import { useEffect, useRef, useState } from 'react';
import { Canvas, useFrame } from '@react-three/fiber';
import { Bounds, Center, OrbitControls } from '@react-three/drei';
import type { Object3D } from 'three';
import { DRACOLoader } from 'three/examples/jsm/loaders/DRACOLoader.js';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { MeshoptDecoder } from 'three/examples/jsm/libs/meshopt_decoder.module.js';
import type { Product } from '@vitrine/shared';
import type { Problem } from '../../common/bridge.js';
import { asProblem, call, useAction, vitrine } from '../lib/bridge.js';
import { bytes as formatBytes } from '../lib/format.js';
import { ProblemView } from './problem-view.js';

/**
 * Parses GLB bytes in the page. Main fetched them (the renderer reaches no server); the
 * decoders for compressed meshes ship with the app (Draco under ./draco/, meshopt inline).
 */
async function parseGlb(data: Uint8Array): Promise<Object3D> {
  const loader = new GLTFLoader();
  loader.setMeshoptDecoder(MeshoptDecoder);
  const draco = new DRACOLoader().setDecoderPath('./draco/');
  loader.setDRACOLoader(draco);
  const buffer = data.buffer.slice(
    data.byteOffset,
    data.byteOffset + data.byteLength,
  ) as ArrayBuffer;
  try {
    const gltf = await loader.parseAsync(buffer, './');
    return gltf.scene;
  } finally {
    draco.dispose();
  }
}

function FirstFrame({ onFrame }: { onFrame: () => void }) {
  const seen = useRef(false);
  useFrame(() => {
    if (seen.current) return;
    seen.current = true;
    // The frame is drawn after this callback; report on the next tick.
    requestAnimationFrame(onFrame);
  });
  return null;
}

interface ModelViewProps {
  productId: string;
  posterUrl: string | null;
  onPosterSaved: (product: Product) => void;
}

/** The preview copy in 3D (orbit to frame it), and "Save poster" from the current view. */
export function ModelView({ productId, posterUrl, onPosterSaved }: ModelViewProps) {
  const [scene, setScene] = useState<Object3D | null>(null);
  const [size, setSize] = useState(0);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [ready, setReady] = useState(false);
  const [posterPreview, setPosterPreview] = useState<string | null>(null);
  const canvas = useRef<HTMLCanvasElement | null>(null);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const data = await call(vitrine().modelsFetchPreview(productId));
        const parsed = await parseGlb(data);
        if (cancelled) return;
        setSize(data.byteLength);
        setScene(parsed);
      } catch (error) {
        if (!cancelled) setProblem(asProblem(error, 'Loading the 3D preview'));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [productId]);

  useEffect(
    () => () => {
      if (posterPreview) URL.revokeObjectURL(posterPreview);
    },
    [posterPreview],
  );

  const savePoster = useAction('Saving the poster', async () => {
    const element = canvas.current;
    if (!element) throw new Error('the 3D view is not on screen');
    const blob = await new Promise<Blob | null>((resolve) => element.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('the 3D view could not be captured');
    const png = new Uint8Array(await blob.arrayBuffer());
    const product = await call(vitrine().productsUploadPoster(productId, png));
    setPosterPreview(URL.createObjectURL(blob));
    onPosterSaved(product);
  });

  if (problem) return <ProblemView problem={problem} />;
  return (
    <div className="viewer" data-ready={ready ? 'true' : 'false'} data-testid="model-view">
      {!scene && <p className="muted">Loading the preview…</p>}
      {scene && (
        <>
          <div className="canvas-box">
            <Canvas
              gl={{ preserveDrawingBuffer: true, antialias: true }}
              camera={{ position: [2.5, 1.8, 2.5], fov: 40 }}
              frameloop="demand"
              onCreated={({ gl }) => {
                canvas.current = gl.domElement;
              }}
            >
              <color attach="background" args={['#f1f0ec']} />
              <hemisphereLight args={['#ffffff', '#8a8578', 1.2]} />
              <directionalLight position={[4, 8, 6]} intensity={2} />
              <Bounds fit clip observe margin={1.25}>
                <Center>
                  <primitive object={scene} />
                </Center>
              </Bounds>
              <OrbitControls makeDefault />
              <FirstFrame onFrame={() => setReady(true)} />
            </Canvas>
          </div>
          <div className="actions">
            <span className="muted">
              Preview copy: {formatBytes(size)}. Drag to turn, scroll to zoom.
            </span>
            <button
              type="button"
              onClick={() => void savePoster.run()}
              disabled={!ready || savePoster.busy}
            >
              {savePoster.busy ? 'Saving…' : 'Save poster from this view'}
            </button>
          </div>
          {savePoster.problem && <ProblemView problem={savePoster.problem} />}
          {(posterPreview || posterUrl) && (
            <p className="poster-line" data-testid="poster-status">
              {posterPreview && (
                <img src={posterPreview} alt="Saved poster" className="poster-thumb" />
              )}
              Poster: {posterUrl ?? 'saved'}
            </p>
          )}
        </>
      )}
    </div>
  );
}
