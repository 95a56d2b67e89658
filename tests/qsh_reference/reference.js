// Reads [{method, url, baseUrl}] as JSON on stdin and writes [{canonical, qsh}] computed by
// atlassian-jwt, the library atlassian-connect-express uses to check and create qsh claims.
const jwt = require('atlassian-jwt');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const cases = JSON.parse(input);
  const out = cases.map(({ method, url, baseUrl }) => {
    const request = jwt.fromMethodAndUrl(method, url);
    return {
      canonical: jwt.createCanonicalRequest(request, false, baseUrl || ''),
      qsh: jwt.createQueryStringHash(request, false, baseUrl || ''),
    };
  });
  process.stdout.write(JSON.stringify(out));
});
