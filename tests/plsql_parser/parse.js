// Parses Oracle SQL / PL/SQL files with the grammars-v4 PlSql grammar (npm antlr4ts-sql, ANTLR 4).
// usage: node parse.js FILE...   prints one JSON line per file: {"file", "errors": [{line, column, token, message}]}
// SLL prediction first (fast); a file with errors is parsed again with full LL before reporting.
'use strict';
const fs = require('fs');
require('antlr4ts'); // load the runtime's index first (antlr4ts-sql's index has an import cycle)
const { PredictionMode } = require('antlr4ts/atn/PredictionMode');
const { antlr4tsSQL } = require('antlr4ts-sql/dist/src/antlr4tsSQL');
const { SQLDialect } = require('antlr4ts-sql/dist/src/models/SQLDialect');

function parse(text, mode) {
  const errors = [];
  const listener = {
    syntaxError: (recognizer, symbol, line, column, message) => {
      if (errors.length < 20) {
        errors.push({ line, column, token: symbol && symbol.text !== undefined ? symbol.text : null,
                      message: message.length > 200 ? message.slice(0, 200) + '...' : message });
      }
    },
  };
  const sql = new antlr4tsSQL(SQLDialect.PLSQL);
  const parser = sql.getParser(sql.getTokens(text, [listener]), [listener]);
  parser.interpreter.setPredictionMode(mode);
  sql.getParseTree(parser);
  return errors;
}

for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8');
  let errors = parse(text, PredictionMode.SLL);
  if (errors.length) errors = parse(text, PredictionMode.LL);
  console.log(JSON.stringify({ file, errors }));
}
