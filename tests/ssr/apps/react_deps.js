// What a dependency optimizer would pre-bundle: React without JSX, so a
// hand-transformed module can import it through the runner.
export { createElement, useState, Fragment } from "react";
export { renderToString } from "react-dom/server.browser";
