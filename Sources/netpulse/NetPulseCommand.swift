import ArgumentParser

/// The `netpulse` command: one subcommand per task; add new ones to `subcommands`.
@main
struct NetPulseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netpulse",
        abstract: "Batch automation of network devices over SSH.",
        subcommands: [
            Run.self, Exec.self, TestConnection.self, Demo.self, Lab.self, Serve.self, Parse.self, Render.self,
            Platforms.self, Worker.self, Db.self,
        ]
    )
}
