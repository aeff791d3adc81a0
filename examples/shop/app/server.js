// The storefront service: a tiny Express app (only here so the example is a real project).
const express = require("express");

const app = express();
app.get("/healthz", (_req, res) => res.send("ok"));
app.listen(process.env.PORT ?? 8080);
