/** PEP 503: lowercase, and runs of -, _ and . are one "-" (uvicorn_worker is uvicorn-worker). */
export const normalizeName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");
