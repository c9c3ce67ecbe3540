using System.Xml.Linq;

namespace StreamFunctions.Architecture.Tests;

/// <summary>The repository's projects and their references, read from the .csproj files.</summary>
internal sealed class ProjectGraph
{
    private readonly Dictionary<string, XDocument> _projects = new(StringComparer.Ordinal);

    public ProjectGraph(string root) => Root = root;

    public string Root { get; }

    /// <summary>A project's path relative to the repository, with forward slashes.</summary>
    public string Relative(string project) => Path.GetRelativePath(Root, project).Replace('\\', '/');

    /// <summary>The projects a project references directly (absolute paths).</summary>
    public IEnumerable<string> References(string project) =>
        Load(project).Descendants("ProjectReference")
            .Select(r => (string?)r.Attribute("Include"))
            .OfType<string>()
            .Select(include => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, include.Replace('\\', Path.DirectorySeparatorChar))));

    /// <summary>The packages a project references directly.</summary>
    public IEnumerable<string> Packages(string project) =>
        Load(project).Descendants("PackageReference").Select(r => (string?)r.Attribute("Include")).OfType<string>();

    /// <summary>Every project a project reaches through its references, itself excluded, each with the path that reaches it.</summary>
    public Dictionary<string, string> Closure(string project)
    {
        var reached = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<(string Project, string Path)>();
        queue.Enqueue((project, Relative(project)));
        while (queue.Count > 0)
        {
            var (current, path) = queue.Dequeue();
            foreach (var reference in References(current))
            {
                if (!File.Exists(reference))
                {
                    throw new FileNotFoundException($"{Relative(current)} references {Relative(reference)}, which does not exist.", reference);
                }

                if (reached.TryAdd(reference, $"{path} -> {Relative(reference)}"))
                {
                    queue.Enqueue((reference, reached[reference]));
                }
            }
        }

        return reached;
    }

    private XDocument Load(string project)
    {
        if (!_projects.TryGetValue(project, out var document))
        {
            document = XDocument.Load(project);
            _projects[project] = document;
        }

        return document;
    }
}
