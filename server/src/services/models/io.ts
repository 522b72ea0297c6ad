import { NodeIO, type ILogger } from '@gltf-transform/core';
import { ALL_EXTENSIONS } from '@gltf-transform/extensions';
import draco3d from 'draco3dgltf';
import { MeshoptDecoder, MeshoptEncoder, MeshoptSimplifier } from 'meshoptimizer';
import type { Logger } from '../../logger.js';

interface Codecs {
  dracoDecoder: unknown;
  dracoEncoder: unknown;
}

let codecs: Promise<Codecs> | undefined;

/** Loads the WebAssembly codecs once per process; later calls share the same promise. */
function loadCodecs(): Promise<Codecs> {
  codecs ??= (async () => {
    const [dracoDecoder, dracoEncoder] = await Promise.all([
      draco3d.createDecoderModule(),
      draco3d.createEncoderModule(),
      MeshoptDecoder.ready,
      MeshoptEncoder.ready,
      MeshoptSimplifier.ready,
    ]);
    return { dracoDecoder, dracoEncoder };
  })();
  return codecs;
}

/** glTF-Transform logs through this adapter, at debug level, into the catalog area. */
function toTransformLogger(logger: Logger): ILogger {
  return {
    debug: (text) => logger.trace(text),
    info: (text) => logger.debug(text),
    warn: (text) => logger.debug(text),
    error: (text) => logger.warn(text),
  };
}

/**
 * A NodeIO that reads and writes every extension glTF-Transform knows, with the Draco and
 * meshopt codecs registered. It is only ever given bytes (`readBinary`), never a path, so a
 * model cannot make it read other files from the disk.
 */
export async function createModelIO(logger: Logger): Promise<NodeIO> {
  const { dracoDecoder, dracoEncoder } = await loadCodecs();
  return new NodeIO()
    .setLogger(toTransformLogger(logger))
    .registerExtensions(ALL_EXTENSIONS)
    .registerDependencies({
      'draco3d.decoder': dracoDecoder,
      'draco3d.encoder': dracoEncoder,
      'meshopt.decoder': MeshoptDecoder,
      'meshopt.encoder': MeshoptEncoder,
    });
}

export { MeshoptEncoder, MeshoptSimplifier };
