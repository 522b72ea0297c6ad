import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import ProductViewer from '../../src/components/ProductViewer';

describe('<ProductViewer> on the server', () => {
  it('renders the poster and a waiting message without touching window or loading three.js', () => {
    expect(typeof window).toBe('undefined');

    const html = renderToString(
      <ProductViewer
        previewUrl="/files/previews/m.glb"
        posterUrl="/files/posters/p.png"
        name="Cube"
      />,
    );

    expect(html).toContain('data-state="waiting"');
    expect(html).toContain('src="/files/posters/p.png"');
    expect(html).toContain('The 3D preview loads when it comes into view.');
    expect(html).toContain(
      'aria-label="3D preview of Cube. Drag to turn it, scroll or pinch to zoom."',
    );
    expect(html).not.toContain('<canvas');
    expect(html.match(/<button[^>]*disabled/g)).toHaveLength(5);
  });
});
