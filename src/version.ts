/**
 * Version of this package, logged at activation so a bug report shows which
 * build the browser actually loaded. A unit test keeps it equal to
 * package.json's version, which the Python package also takes its version from.
 */
export const VERSION = '0.1.0';
