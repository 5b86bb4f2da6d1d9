/** What the API takes as a doctor's credential document: PDF, PNG or JPEG, up to 10 MiB (FilesEndpoints). */
export const documentTypes = ["application/pdf", "image/png", "image/jpeg"];
export const maxDocumentBytes = 10 * 1024 * 1024;

/**
 * Why a chosen file cannot be sent, in pt-BR, or null when it can: said before the upload, not after ten megabytes
 * went over a phone's network to be refused.
 */
export function documentFileProblem(file: { name: string; size: number; type: string }): string | null {
  if (file.size === 0) return `O arquivo "${file.name}" está vazio.`;
  if (!documentTypes.includes(file.type)) return `"${file.name}" não é PDF, PNG ou JPEG. Envie o documento num desses formatos.`;
  if (file.size > maxDocumentBytes) return `"${file.name}" tem ${formatSize(file.size)}; o limite é 10 MB. Envie uma foto ou um PDF menor.`;
  return null;
}

/** A file size as a person reads it: "350 KB", "2,4 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toLocaleString("pt-BR", { maximumFractionDigits: 1 })} MB`;
}
