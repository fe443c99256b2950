/** The OperatorHub icon: a small SVG (a mesh of linked nodes in a shield), base64 in the CSV. */
export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<path d="M32 3 L56 12 V30 C56 45 45 56 32 61 C19 56 8 45 8 30 V12 Z" fill="#1f4e8c"/>
<g stroke="#ffffff" stroke-width="2.5" fill="none">
<path d="M20 22 L32 16 L44 22 L44 36 L32 46 L20 36 Z M20 22 L32 30 L44 22 M32 30 V46 M20 36 L32 30 L44 36"/>
</g>
<g fill="#7fd3ff">
<circle cx="32" cy="16" r="3.5"/><circle cx="20" cy="22" r="3.5"/><circle cx="44" cy="22" r="3.5"/>
<circle cx="32" cy="30" r="3.5"/><circle cx="20" cy="36" r="3.5"/><circle cx="44" cy="36" r="3.5"/>
<circle cx="32" cy="46" r="3.5"/>
</g>
</svg>
`;

export function iconBase64(): string {
  return Buffer.from(ICON_SVG).toString("base64");
}
