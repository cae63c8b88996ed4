/**
 * The text colour readable on the site's colour (WCAG relative luminance), for the launcher
 * and the panel. Both bundles include it: it is a few lines, and the launcher must draw
 * itself before the chat is loaded.
 */
export function onColor(color: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(color.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? '#111827' : '#ffffff';
}
