import { describe, expect, it } from "vitest";
import { documentFileProblem, formatSize } from "./documentFile";

describe("documentFileProblem", () => {
  it("takes PDF, PNG and JPEG up to 10 MB", () => {
    expect(documentFileProblem({ name: "crm.pdf", size: 300_000, type: "application/pdf" })).toBeNull();
    expect(documentFileProblem({ name: "rg.jpg", size: 10 * 1024 * 1024, type: "image/jpeg" })).toBeNull();
    expect(documentFileProblem({ name: "rg.png", size: 1, type: "image/png" })).toBeNull();
  });

  it("says why other files are refused", () => {
    expect(documentFileProblem({ name: "crm.docx", size: 1000, type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document" }))
      .toBe('"crm.docx" não é PDF, PNG ou JPEG. Envie o documento num desses formatos.');
    expect(documentFileProblem({ name: "scan.pdf", size: 10 * 1024 * 1024 + 1, type: "application/pdf" }))
      .toBe('"scan.pdf" tem 10 MB; o limite é 10 MB. Envie uma foto ou um PDF menor.');
    expect(documentFileProblem({ name: "vazio.pdf", size: 0, type: "application/pdf" })).toBe('O arquivo "vazio.pdf" está vazio.');
  });
});

describe("formatSize", () => {
  it("reads in KB below a megabyte and in MB with one decimal above", () => {
    expect(formatSize(100)).toBe("1 KB");
    expect(formatSize(350 * 1024)).toBe("350 KB");
    expect(formatSize(2.4 * 1024 * 1024)).toBe("2,4 MB");
  });
});
