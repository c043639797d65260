// The bundler inlines SVG files as strings (asset/source).
declare module '*.svg' {
  const content: string;
  export default content;
}
