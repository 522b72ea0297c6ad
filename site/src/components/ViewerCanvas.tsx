import { Canvas, addAfterEffect, useThree } from '@react-three/fiber';
import { OrbitControls, useGLTF } from '@react-three/drei';
import {
  Suspense,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type ComponentRef,
  type MutableRefObject,
} from 'react';
import { PMREMGenerator, type PerspectiveCamera, type WebGLRenderer } from 'three';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';
import { KTX2Loader } from 'three/examples/jsm/loaders/KTX2Loader.js';
import { applyFit, dollyToward, fitCamera, orbitAround, type CameraFit } from '../lib/viewer-fit';
import { disposeObject } from '../lib/viewer-resources';

/** What the buttons outside the canvas can ask of the scene. */
export interface ViewerApi {
  reset(): void;
  rotate(radians: number): void;
  zoom(factor: number): void;
}

export interface ViewerCanvasProps {
  url: string;
  /** Folder of three's Draco decoder on our origin. */
  dracoPath: string;
  /** Folder of three's Basis Universal transcoder on our origin. */
  basisPath: string;
  background: string;
  apiRef: MutableRefObject<ViewerApi | null>;
  onReady(): void;
  onContextLost(): void;
  /** A retry after an error: drop the cached (failed) load first. */
  fresh?: boolean;
}

type Controls = ComponentRef<typeof OrbitControls>;

// One KTX2 loader per renderer: it needs the renderer to pick a GPU texture format, and it owns
// transcoder workers that must be terminated with the renderer.
const ktx2Loaders = new WeakMap<WebGLRenderer, KTX2Loader>();

function ktx2LoaderFor(gl: WebGLRenderer, basisPath: string): KTX2Loader {
  let loader = ktx2Loaders.get(gl);
  if (!loader) {
    loader = new KTX2Loader().setTranscoderPath(basisPath).detectSupport(gl);
    ktx2Loaders.set(gl, loader);
  }
  return loader;
}

export type ViewerLighting = 'studio' | 'basic';

/** localStorage key that overrides the lighting choice (`studio` or `basic`), for checks and support. */
export const LIGHTING_OVERRIDE_KEY = 'vitrine:viewer-lighting';

/**
 * Studio lighting (an environment map) on a GPU; a plain light rig on software WebGL
 * (SwiftShader, llvmpipe: no GPU, or a blocklisted driver), where compiling the
 * environment-map shaders takes 10–25 s on the CPU while the page stands still.
 */
export function chooseLighting(gl: WebGLRenderer): ViewerLighting {
  try {
    const override = window.localStorage.getItem(LIGHTING_OVERRIDE_KEY);
    if (override === 'studio' || override === 'basic') return override;
  } catch {
    // Storage may be off; decide from the renderer.
  }
  const context = gl.getContext();
  const info = context.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(
    context.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : context.RENDERER),
  );
  return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer) ? 'basic' : 'studio';
}

function Lighting() {
  const gl = useThree((state) => state.gl);
  const [lighting] = useState(() => chooseLighting(gl));

  useEffect(() => {
    gl.domElement.dataset.lighting = lighting;
  }, [gl, lighting]);

  return lighting === 'studio' ? (
    <>
      <StudioEnvironment />
      <directionalLight position={[3, 5, 4]} intensity={1.2} />
    </>
  ) : (
    <>
      <hemisphereLight args={['#ffffff', '#8d8a84', 2.2]} />
      <directionalLight position={[3, 5, 4]} intensity={2} />
      <directionalLight position={[-4, 2, -3]} intensity={0.6} />
    </>
  );
}

/** Image-based light from three's RoomEnvironment, generated on the GPU: no HDR file to fetch. */
function StudioEnvironment() {
  const gl = useThree((state) => state.gl);
  const scene = useThree((state) => state.scene);
  const invalidate = useThree((state) => state.invalidate);

  useLayoutEffect(() => {
    const pmrem = new PMREMGenerator(gl);
    const room = new RoomEnvironment();
    const target = pmrem.fromScene(room, 0.04);
    scene.environment = target.texture;
    room.dispose();
    pmrem.dispose();
    invalidate();

    return () => {
      scene.environment = null;
      target.dispose();
    };
  }, [gl, scene, invalidate]);

  return null;
}

interface ModelProps {
  url: string;
  dracoPath: string;
  basisPath: string;
  apiRef: MutableRefObject<ViewerApi | null>;
  onReady(): void;
}

function Model({ url, dracoPath, basisPath, apiRef, onReady }: ModelProps) {
  const gl = useThree((state) => state.gl);
  const camera = useThree((state) => state.camera) as PerspectiveCamera;
  const controls = useThree((state) => state.controls) as Controls | null;
  const size = useThree((state) => state.size);
  const invalidate = useThree((state) => state.invalidate);
  const extendLoader = useCallback(
    (loader: { setKTX2Loader(loader: KTX2Loader): unknown }) => {
      loader.setKTX2Loader(ktx2LoaderFor(gl, basisPath));
    },
    [gl, basisPath],
  );
  // drei types extendLoader against three-stdlib's GLTFLoader; ours only uses setKTX2Loader.
  const gltf = useGLTF(url, dracoPath, true, extendLoader as never);
  const fitRef = useRef<CameraFit | null>(null);

  useLayoutEffect(() => {
    const fit = fitCamera(gltf.scene, camera.fov, size.width / Math.max(size.height, 1));
    fitRef.current = fit;
    applyFit(camera, fit);
    if (controls) {
      controls.target.copy(fit.target);
      controls.minDistance = fit.minDistance;
      controls.maxDistance = fit.maxDistance;
      controls.update();
    }
    invalidate();
  }, [gltf, camera, controls, size.width, size.height, invalidate]);

  useEffect(() => {
    apiRef.current = {
      reset() {
        const fit = fitRef.current;
        if (!fit) return;
        applyFit(camera, fit);
        controls?.target.copy(fit.target);
        controls?.update();
        invalidate();
      },
      rotate(radians) {
        const target = controls?.target ?? fitRef.current?.target;
        if (!target) return;
        camera.position.copy(orbitAround(camera.position, target, radians));
        camera.lookAt(target);
        controls?.update();
        invalidate();
      },
      zoom(factor) {
        const fit = fitRef.current;
        const target = controls?.target ?? fit?.target;
        if (!fit || !target) return;
        camera.position.copy(dollyToward(camera.position, target, factor, fit));
        controls?.update();
        invalidate();
      },
    };
    return () => {
      apiRef.current = null;
    };
  }, [apiRef, camera, controls, invalidate]);

  // "Ready" means a frame with the model in it has been drawn, not merely that the file loaded:
  // wait for the first render after this commit, then report outside the render loop.
  useEffect(() => {
    let done = false;
    const unsubscribe = addAfterEffect(() => {
      if (done) return;
      done = true;
      unsubscribe();
      queueMicrotask(onReady);
    });
    invalidate();
    return () => {
      done = true;
      unsubscribe();
    };
  }, [gltf, onReady, invalidate]);

  useEffect(
    () => () => {
      disposeObject(gltf.scene);
      useGLTF.clear(url);
    },
    [gltf, url],
  );

  return <primitive object={gltf.scene} />;
}

/** Reports a lost WebGL context (GPU reset, too many contexts) so the island can fall back to the poster. */
function ContextLossWatcher({ onContextLost }: { onContextLost(): void }) {
  const gl = useThree((state) => state.gl);

  useEffect(() => {
    const canvas = gl.domElement;
    const onLost = (event: Event) => {
      event.preventDefault();
      onContextLost();
    };
    canvas.addEventListener('webglcontextlost', onLost);

    return () => canvas.removeEventListener('webglcontextlost', onLost);
  }, [gl, onContextLost]);

  useEffect(
    () => () => {
      ktx2Loaders.get(gl)?.dispose();
      ktx2Loaders.delete(gl);
    },
    [gl],
  );

  return null;
}

/**
 * The three.js part of the product viewer, split out so the island's first paint (the poster)
 * needs none of it. It renders on demand only: a frame is drawn when the camera or the scene
 * changes, never in a loop, so an idle product page costs no GPU time.
 */
export default function ViewerCanvas({
  url,
  dracoPath,
  basisPath,
  background,
  apiRef,
  onReady,
  onContextLost,
  fresh = false,
}: ViewerCanvasProps) {
  useState(() => {
    // Our origin, never drei's default (a Google CDN): see integrations/copy-decoders.mjs.
    useGLTF.setDecoderPath(dracoPath);
    if (fresh) useGLTF.clear(url);
    return null;
  });

  return (
    <Canvas
      frameloop="demand"
      dpr={[1, 2]}
      camera={{ fov: 35, near: 0.01, far: 1000, position: [0, 0, 5] }}
      gl={{ antialias: true, powerPreference: 'low-power' }}
    >
      <color attach="background" args={[background]} />
      <ambientLight intensity={0.35} />
      <Lighting />
      <ContextLossWatcher onContextLost={onContextLost} />
      <OrbitControls makeDefault enableDamping={false} enablePan={false} />
      <Suspense fallback={null}>
        <Model
          url={url}
          dracoPath={dracoPath}
          basisPath={basisPath}
          apiRef={apiRef}
          onReady={onReady}
        />
      </Suspense>
    </Canvas>
  );
}
