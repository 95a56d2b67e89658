// The minimal atlassian-connect-express app of bench/run.sh: ACE's own middleware, its
// default sqlite-memory store, and one route behind addon.authenticate() answering the same
// small JSON body as examples/bench.
const express = require('express');
const bodyParser = require('body-parser');
const ace = require('atlassian-connect-express');

const app = express();
const addon = ace(app);
app.set('port', Number(process.env.PORT || addon.config.port()));
app.use(bodyParser.json());
app.use(bodyParser.urlencoded({ extended: false }));
app.use(addon.middleware());

app.get('/bench/jwt', addon.authenticate(), (req, res) => {
  res.json({ ok: true, app: 'atlassian-connect-express' });
});

app.listen(app.get('port'), '127.0.0.1', () => {
  console.log(`ace-bench listening on ${app.get('port')}`);
});
