/** The smallest valid matrix.yaml; tests change one line of it at a time. */
export const MINIMAL = `scenario: demo
packages:
  uvicorn: [0.11.3, 0.11.4]
  gunicorn: 23.0.0
python:
  "3.9": { base: "debian:bullseye" }
workerClasses: [uvicorn.workers.UvicornWorker]
apps: [plain]
signatures: ["RuntimeError: Event loop is closed"]
`;
