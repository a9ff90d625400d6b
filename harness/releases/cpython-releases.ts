/**
 * When each CPython minor version had its first final release (X.Y.0), the day users could
 * start running it. Source: each version's release schedule PEP, "Release schedule" section
 * (https://peps.python.org/pep-0478/ for 3.5, 0494 for 3.6, 0537 for 3.7, 0569 for 3.8,
 * 0596 for 3.9, 0619 for 3.10, 0664 for 3.11, 0693 for 3.12, 0719 for 3.13, 0745 for 3.14),
 * checked against python.org/downloads. Add a line when a new version is released.
 */
export const CPYTHON_RELEASES: Readonly<Record<string, string>> = {
  "3.5": "2015-09-13",
  "3.6": "2016-12-23",
  "3.7": "2018-06-27",
  "3.8": "2019-10-14",
  "3.9": "2020-10-05",
  "3.10": "2021-10-04",
  "3.11": "2022-10-24",
  "3.12": "2023-10-02",
  "3.13": "2024-10-07",
  "3.14": "2025-10-07",
};

/** Minor versions ("3.9") in release order: numerically, so 3.10 comes after 3.9. */
export const byPythonVersion = (a: string, b: string) => {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am - bm || an - bn;
};
