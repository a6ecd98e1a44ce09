// Parses T-SQL with SQL Server's own grammar (ScriptDom's TSql160Parser: SQL Server 2022 and Azure SQL).
//
//   tsql-check FILE.sql ...      a script: batches split at GO; the text of every EXEC(N'...') parsed too
//   tsql-check FILE.jsonl ...    one statement per line, {"sql": "..."} (parameters as @p0, @p1, ...)
//
// Prints every parse error with where it is, then a summary: how many statements parsed, and those
// that parse but behave differently on Babelfish (the test engine) than on SQL Server: locking hints
// (accepted there, no locks taken), OUTPUT deleted.* and OPENJSON. Exits 1 when any statement fails to parse.
using System.Text.Json;
using Microsoft.SqlServer.TransactSql.ScriptDom;

var parser = new TSql160Parser(initialQuotedIdentifiers: true);
var statements = 0;
var errors = 0;
var differences = new SortedDictionary<string, List<string>>();
var distinct = new HashSet<string>();

foreach (var file in args)
{
    if (file.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
    {
        var number = 0;
        foreach (var line in File.ReadLines(file))
        {
            number++;
            if (line.Trim().Length == 0) continue;
            var sql = JsonDocument.Parse(line).RootElement.GetProperty("sql").GetString() ?? "";
            // Several test processes send the same statement: each distinct one is parsed once.
            if (distinct.Add(sql)) Check(sql, $"{file}:{number}");
        }
    }
    else
    {
        Check(File.ReadAllText(file), file);
    }
}

Console.WriteLine($"T-SQL (TSql160Parser): {statements} statements parsed, {errors} parse errors.");
foreach (var (kind, examples) in differences)
{
    Console.WriteLine($"  parses, behaves differently on Babelfish: {kind} in {examples.Count} statement(s), e.g. {Shorten(examples[0])}");
}
return errors == 0 ? 0 : 1;

void Check(string sql, string where)
{
    var tree = parser.Parse(new StringReader(sql), out var parseErrors);
    statements++;
    foreach (var error in parseErrors)
    {
        errors++;
        Console.WriteLine($"{where} ({error.Line},{error.Column}): {error.Message}");
        Console.WriteLine($"    {Shorten(sql)}");
    }
    if (parseErrors.Count > 0) return;
    var visitor = new Findings();
    tree.Accept(visitor);
    foreach (var kind in visitor.Kinds)
    {
        if (!differences.TryGetValue(kind, out var list)) differences[kind] = list = new List<string>();
        list.Add(sql);
    }
    // A script's EXEC(N'...') holds the statements it really runs: they are checked as well.
    foreach (var inner in visitor.ExecutedStrings) Check(inner, $"{where} EXEC");
}

static string Shorten(string sql)
{
    var flat = string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    return flat.Length <= 160 ? flat : flat[..157] + "...";
}

sealed class Findings : TSqlFragmentVisitor
{
    public readonly HashSet<string> Kinds = new();
    public readonly List<string> ExecutedStrings = new();
    static readonly HashSet<string> LockingHints =
        new() { "UPDLOCK", "HOLDLOCK", "ROWLOCK", "READPAST", "XLOCK", "SERIALIZABLE", "PAGLOCK", "TABLOCK", "TABLOCKX", "NOLOCK" };

    public override void Visit(TableHint node)
    {
        var kind = node.HintKind.ToString().ToUpperInvariant();
        if (LockingHints.Contains(kind)) Kinds.Add($"table hint {kind} (no lock is taken)");
    }

    public override void Visit(OutputClause node)
    {
        foreach (var column in node.SelectColumns)
        {
            if (column is SelectScalarExpression { Expression: ColumnReferenceExpression reference }
                && reference.MultiPartIdentifier?.Identifiers.FirstOrDefault()?.Value.Equals("deleted", StringComparison.OrdinalIgnoreCase) == true)
                Kinds.Add("OUTPUT deleted.* (may fail or return wrong values)");
            if (column is SelectStarExpression star
                && star.Qualifier?.Identifiers.FirstOrDefault()?.Value.Equals("deleted", StringComparison.OrdinalIgnoreCase) == true)
                Kinds.Add("OUTPUT deleted.* (may fail or return wrong values)");
        }
    }

    public override void Visit(SelectScalarExpression node)
    {
        if (node.ColumnName is null && node.Expression is GlobalVariableExpression variable
            && variable.Name.Equals("@@ROWCOUNT", StringComparison.OrdinalIgnoreCase))
            Kinds.Add("unaliased @@ROWCOUNT (an unnamed column on SQL Server; Babelfish needs its patch 0001 to agree)");
    }

    public override void Visit(OpenJsonTableReference node) =>
        Kinds.Add("OPENJSON (Babelfish returns strings with their JSON escapes undecoded; the app sends it only strings JSON writes verbatim)");

    public override void Visit(SetTransactionIsolationLevelStatement node)
    {
        if (node.Level is IsolationLevel.Serializable or IsolationLevel.RepeatableRead or IsolationLevel.Snapshot)
            Kinds.Add($"isolation level {node.Level} (mapped to PostgreSQL's on Babelfish)");
    }

    public override void Visit(ExecuteStatement node)
    {
        if (node.ExecuteSpecification?.ExecutableEntity is ExecutableStringList list)
            foreach (var part in list.Strings)
                if (part is StringLiteral literal) ExecutedStrings.Add(literal.Value);
    }
}
