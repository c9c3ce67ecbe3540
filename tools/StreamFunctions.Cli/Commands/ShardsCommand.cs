using System.CommandLine;
using System.Globalization;
using StreamFunctions.Producers.Placement;

namespace StreamFunctions.Cli.Commands;

/// <summary><c>sfn shards</c>: how many provisioned shards a stream needs for a load.</summary>
internal static class ShardsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var mbps = new Option<double>("--write-mbps") { Description = "Data written per second, in MiB.", Required = true };
        var rate = new Option<double>("--records-per-second") { Description = "Records written per second.", Required = true };
        var consumers = new Option<int>("--consumers") { Description = "Standard consumers (GetRecords, Lambda without enhanced fan-out) reading every shard.", DefaultValueFactory = _ => 1 };
        var efo = new Option<int>("--efo") { Description = "Enhanced fan-out consumers.", DefaultValueFactory = _ => 0 };
        var headroom = new Option<double>("--headroom") { Description = "Extra capacity as a fraction (0.25 = 25%).", DefaultValueFactory = _ => 0.25 };
        foreach (var option in new Option[] { mbps, rate, consumers, efo })
        {
            option.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<object>() is double d && (d < 0 || !double.IsFinite(d)) || r.GetValueOrDefault<object>() is int i && i < 0)
                {
                    r.AddError($"{option.Name} must be 0 or more.");
                }
            });
        }

        headroom.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is < 0 or > 10 or double.NaN)
            {
                r.AddError("--headroom must be from 0 to 10 (1,000%).");
            }
        });
        var command = new Command("shards", "Advise a provisioned shard count from write MB/s, records/s and consumers, by Kinesis's per-shard limits.")
        {
            mbps, rate, consumers, efo, headroom,
        };
        command.SetAction(parse => Run(
            new StreamLoad(parse.GetValue(mbps), parse.GetValue(rate), parse.GetValue(consumers), parse.GetValue(efo), parse.GetValue(headroom)), output, error));
        return command;
    }

    internal static int Run(StreamLoad load, TextWriter output, TextWriter error)
    {
        try
        {
            var advice = ShardCountAdvisor.Advise(load);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{advice.Shards} shards (limited by {advice.BindingLimit})"));
            output.WriteLine(advice.Explanation);
            return 0;
        }
        catch (ArgumentOutOfRangeException e)
        {
            error.WriteLine($"sfn shards: {e.Message}");
            return 2;
        }
    }
}
