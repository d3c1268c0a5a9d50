/** The part of fontkit (pdfkit's font engine, untyped) the PDF font fallback reads. */
declare module 'fontkit' {
  export interface Font {
    postscriptName: string;
    hasGlyphForCodePoint(codePoint: number): boolean;
  }
  export function openSync(path: string, postscriptName?: string): Font;
}
