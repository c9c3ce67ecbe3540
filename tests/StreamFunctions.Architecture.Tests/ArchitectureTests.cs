using System.Text.RegularExpressions;
using StreamFunctions.Testing;

namespace StreamFunctions.Architecture.Tests;

/// <summary>
/// The tree is the architecture (ARCHITECTURE.md): libraries under shared/ are grouped by role (core, aws, functions,
/// local), references only point down (functions → aws → core), nothing deployed reaches a local stand-in, core has no
/// AWS SDK, and every library is named in ARCHITECTURE.md.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly string[] Groups = ["core", "aws", "functions", "local"];

    private readonly ProjectGraph _graph = new(RepositoryPaths.Root());

    private string Shared => Path.Combine(_graph.Root, "shared");

    private static IEnumerable<string> ProjectsUnder(string folder) =>
        Directory.EnumerateFiles(folder, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    private string GroupOf(string project)
    {
        var relative = Path.GetRelativePath(Shared, project).Split(Path.DirectorySeparatorChar);
        return relative.Length == 3 && !relative[0].StartsWith("..", StringComparison.Ordinal) ? relative[0] : "";
    }

    [Fact]
    public void Libraries_AreGroupedByRole()
    {
        var misplaced = ProjectsUnder(Shared).Where(p => !Groups.Contains(GroupOf(p), StringComparer.Ordinal)).Select(_graph.Relative).ToList();
        Assert.True(misplaced.Count == 0, $"Libraries under shared/ live in shared/<{string.Join('|', Groups)}>/<Library>/: {string.Join(", ", misplaced)}");
        Assert.NotEmpty(ProjectsUnder(Path.Combine(Shared, "local")));
    }

    [Fact]
    public void DeployedFunctions_NeverReachALocalLibrary()
    {
        var functions = ProjectsUnder(Path.Combine(_graph.Root, "functions")).ToList();
        Assert.NotEmpty(functions);
        var violations = new List<string>();
        foreach (var function in functions)
        {
            foreach (var (reached, path) in _graph.Closure(function))
            {
                var relative = _graph.Relative(reached);
                if (relative.StartsWith("shared/local/", StringComparison.Ordinal) || relative.StartsWith("tools/", StringComparison.Ordinal) || relative.StartsWith("tests/", StringComparison.Ordinal))
                {
                    violations.Add(path);
                }
            }
        }

        Assert.True(violations.Count == 0, "A deployed function reaches a local stand-in, a tool or a test project:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void References_PointDownTheLayers()
    {
        // functions may use aws and core; aws may use core; core only core; local may use anything but functions.
        var allowed = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            ["core"] = ["core"],
            ["aws"] = ["aws", "core"],
            ["functions"] = ["functions", "aws", "core"],
            ["local"] = ["local", "aws", "core"],
        };
        var violations = new List<string>();
        foreach (var project in ProjectsUnder(Shared))
        {
            var group = GroupOf(project);
            foreach (var reference in _graph.References(project))
            {
                var target = GroupOf(reference);
                if (!allowed[group].Contains(target, StringComparer.Ordinal))
                {
                    violations.Add($"{_graph.Relative(project)} ({group}) -> {_graph.Relative(reference)} ({(target.Length == 0 ? "outside shared/" : target)})");
                }
            }
        }

        Assert.True(violations.Count == 0, "References must point down (functions → aws → core; local → aws, core):\n" + string.Join('\n', violations));
    }

    [Fact]
    public void Core_HasNoAwsSdk()
    {
        var violations = new List<string>();
        foreach (var project in ProjectsUnder(Path.Combine(Shared, "core")))
        {
            foreach (var reached in _graph.Closure(project).Keys.Append(project))
            {
                violations.AddRange(_graph.Packages(reached)
                    .Where(p => p.StartsWith("AWSSDK.", StringComparison.OrdinalIgnoreCase) || p.StartsWith("Amazon.", StringComparison.OrdinalIgnoreCase))
                    .Select(p => $"{_graph.Relative(project)} reaches {p} through {_graph.Relative(reached)}"));
            }
        }

        Assert.True(violations.Count == 0, "shared/core holds no AWS SDK:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void EveryLibrary_IsNamedInArchitectureMd()
    {
        var text = File.ReadAllText(Path.Combine(_graph.Root, "ARCHITECTURE.md"));
        var named = new HashSet<string>(BacktickedName().Matches(text).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
        var missing = ProjectsUnder(Shared)
            .Select(p => Path.GetFileNameWithoutExtension(p)["StreamFunctions.".Length..])
            .Where(name => !named.Contains(name))
            .ToList();
        Assert.True(missing.Count == 0, "ARCHITECTURE.md names each library with its reason to exist; missing: " + string.Join(", ", missing));
    }

    [GeneratedRegex("`([A-Za-z.]+)`")]
    private static partial Regex BacktickedName();
}
