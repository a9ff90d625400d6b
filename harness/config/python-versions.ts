/**
 * CPython 3 feature releases a scenario may name. Source: python.org's "Status of Python
 * versions" (devguide.python.org/versions) and the release schedule PEPs (478 for 3.5 … 745 for
 * 3.14, 790 for 3.15, released October 2026). 3.5 is the first with async/await, which every
 * uvicorn needs. A new release is one entry here; without the list a typo such as 3.99 would only
 * fail at image build, after the index and the cache were touched.
 */
export const KNOWN_PYTHONS: readonly string[] = ["3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"];
