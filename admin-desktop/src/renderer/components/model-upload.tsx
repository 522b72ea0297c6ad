import { useEffect, useRef, useState, type DragEvent } from 'react';
import type { ModelFacts, Product } from '@vitrine/shared';
import type { Finding, UploadProgress } from '../../common/bridge.js';
import { call, ProblemFailure, useAction, vitrine } from '../lib/bridge.js';
import { bytes, percent } from '../lib/format.js';
import { ErrorBoundary } from './error-boundary.js';
import { ModelView } from './model-view.js';
import { ProblemView } from './problem-view.js';

/**
 * Upload of a product's GLB: pick or drop a file, see the bytes go out, then the server's
 * facts and findings and the preview in 3D. The renderer passes only the file's path; main
 * reads and streams the file.
 */
export function ModelUpload({
  product,
  onProduct,
}: {
  product: Product;
  onProduct: (p: Product) => void;
}) {
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [findings, setFindings] = useState<Finding[]>([]);
  const [facts, setFacts] = useState<ModelFacts | null>(product.model ?? null);
  const [dragging, setDragging] = useState(false);
  const [previewVersion, setPreviewVersion] = useState(0);
  const input = useRef<HTMLInputElement>(null);

  useEffect(
    () =>
      vitrine().onUploadProgress((event) => {
        if (event.productId === product.id) setProgress(event);
      }),
    [product.id],
  );

  const upload = useAction('Uploading the model', async (file: File) => {
    const filePath = vitrine().pathForFile(file);
    if (!filePath) {
      throw new ProblemFailure({
        what: 'Uploading the model',
        cause:
          'The app could not find this file on disk (it may come from another app or the web).',
        action: 'Save the file to a folder first, then pick it from there.',
        code: 'no_path',
      });
    }
    setProgress({ productId: product.id, sent: 0, total: file.size, done: false });
    setFindings([]);
    const result = await call(vitrine().productsUploadModel(product.id, filePath));
    setFacts(result.facts);
    setFindings(result.findings);
    setPreviewVersion((version) => version + 1);
    onProduct(result.product);
  });

  const cancel = () => void vitrine().productsUploadCancel(product.id);

  const choose = (files: FileList | null) => {
    const file = files?.[0];
    if (file) void upload.run(file);
  };

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (!upload.busy) choose(event.dataTransfer.files);
  };

  const shown = progress && (upload.busy || progress.done);
  const value = progress ? percent(progress.sent, progress.total) : 0;

  return (
    <section className="model" aria-labelledby="model-title">
      <h2 id="model-title">3D model</h2>
      <div
        className={dragging ? 'dropzone dragging' : 'dropzone'}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
        data-testid="dropzone"
      >
        <p>
          Drop a <strong>.glb</strong> file here, or{' '}
          <button
            type="button"
            className="link"
            onClick={() => input.current?.click()}
            disabled={upload.busy}
          >
            choose one
          </button>
          .
        </p>
        <input
          ref={input}
          type="file"
          accept=".glb,model/gltf-binary"
          aria-label="GLB file"
          hidden
          onChange={(event) => {
            choose(event.target.files);
            event.target.value = '';
          }}
        />
      </div>

      {shown && (
        <div className="progress">
          <div
            className="bar"
            role="progressbar"
            aria-label="Upload progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={value}
          >
            <div className="fill" style={{ width: `${value}%` }} />
          </div>
          <span data-testid="upload-progress-text">
            {bytes(progress.sent)} of {bytes(progress.total)} ({value}%)
            {upload.busy &&
              progress.sent >= progress.total &&
              ' · the server is checking the file…'}
          </span>
          {upload.busy && (
            <button type="button" onClick={cancel}>
              Cancel
            </button>
          )}
        </div>
      )}
      {upload.problem && <ProblemView problem={upload.problem} onDismiss={upload.clear} />}

      {facts && <FactsTable facts={facts} />}
      {findings.length > 0 && <ProblemViewFindings findings={findings} />}
      {product.previewUrl && facts && (
        <ErrorBoundary area="3D view">
          <ModelView
            key={`${product.id}:${previewVersion}:${product.previewUrl}`}
            productId={product.id}
            posterUrl={product.posterUrl}
            onPosterSaved={onProduct}
          />
        </ErrorBoundary>
      )}
    </section>
  );
}

function FactsTable({ facts }: { facts: ModelFacts }) {
  const rows: [string, string][] = [
    ['File size', bytes(facts.bytes)],
    ['Triangles', facts.triangles.toLocaleString()],
    ['Vertices', facts.vertices.toLocaleString()],
    ['Meshes', String(facts.meshes)],
    ['Materials', String(facts.materials)],
    ['Textures', String(facts.textures)],
    ['Animations', String(facts.animations)],
    ['Extensions used', facts.extensionsUsed.join(', ') || 'none'],
    ['Extensions required', facts.extensionsRequired.join(', ') || 'none'],
  ];
  if (facts.previewBytes !== undefined) rows.push(['Preview size', bytes(facts.previewBytes)]);
  return (
    <dl className="facts" data-testid="model-facts">
      {rows.map(([label, value]) => (
        <div key={label} className="fact">
          <dt>{label}</dt>
          <dd data-fact={label}>{value}</dd>
        </div>
      ))}
      <div className="fact wide">
        <dt>SHA-256</dt>
        <dd>
          <code>{facts.sha256}</code>
        </dd>
      </div>
    </dl>
  );
}

function ProblemViewFindings({ findings }: { findings: Finding[] }) {
  return (
    <div className="findings-note">
      <p>The server accepted the model with these notes:</p>
      <ul>
        {findings.map((finding, index) => (
          <li key={index}>
            <code>{finding.code}</code> {finding.message}
            {finding.pointer && (
              <>
                {' '}
                at <code>{finding.pointer}</code>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
