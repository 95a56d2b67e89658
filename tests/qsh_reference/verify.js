// Reads [{token, secret, method, url, baseUrl}] as JSON on stdin: tokens the app signed for
// requests to the product. Verifies each with atlassian-jwt as the product side does (HS256
// signature with the shared secret, then the qsh of the request relative to the site's
// baseUrl) and writes [{valid, iss, qshMatches, error}].
const jwt = require('atlassian-jwt');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const cases = JSON.parse(input);
  const out = cases.map(({ token, secret, method, url, baseUrl }) => {
    try {
      const claims = jwt.decodeSymmetric(token, secret, jwt.SymmetricAlgorithm.HS256);
      const expected = jwt.createQueryStringHash(jwt.fromMethodAndUrl(method, url), false, baseUrl);
      return { valid: true, iss: claims.iss, qshMatches: claims.qsh === expected, error: null };
    } catch (error) {
      return { valid: false, iss: null, qshMatches: false, error: String(error.message) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
