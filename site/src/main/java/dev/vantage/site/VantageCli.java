package dev.vantage.site;

import java.util.Arrays;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code vantage} command line. Exit codes: 0 ok, 1 invalid input, 2 usage or internal error.
 */
@Command(name = "vantage", mixinStandardHelpOptions = true, versionProvider = VantageCli.Version.class,
        description = "Vantage software-defined edge router.",
        subcommands = {
                VantageCli.VersionCommand.class,
                DemoCommand.class,
                DiffCommand.class,
                PredictEvalCommand.class,
                ProxyCommand.class,
                ReceiveCommand.class,
                ReplicateCommand.class,
                RunCommand.class,
                SyncCommand.class,
                ValidateCommand.class,
                VerifyCommand.class,
                WanCommand.class,
        })
public final class VantageCli implements Callable<Integer> {

    public static final int EXIT_OK = 0;
    public static final int EXIT_INVALID_INPUT = 1;
    public static final int EXIT_USAGE = 2;

    public static void main(String[] args) {
        ReplicationCliSupport.warmUpFor(args);
        System.exit(execute(args));
    }

    /** Runs the CLI without exiting the JVM; tests call this. */
    public static int execute(String... args) {
        CommandLine cli;
        String[] rest = args;
        if (args.length > 0 && args[0].equals("replicate")) {
            // A one-shot transfer whose start counts (a small delta is over in a few hundred milliseconds): picocli
            // builds the model of this command only, not of all of them (~150 ms less on a cold JVM; picocli's classes
            // are Java 5 bytecode, which class data sharing does not archive).
            cli = new CommandLine(new ReplicateCommand()).setCommandName("vantage replicate");
            rest = Arrays.copyOfRange(args, 1, args.length);
        } else {
            cli = new CommandLine(new VantageCli());
        }
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("vantage: " + ex.getMessage());
            return EXIT_USAGE;
        });
        return cli.execute(rest);
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return EXIT_USAGE;
    }

    /** The version of this build, from the jar manifest when there is one. */
    public static String version() {
        String v = VantageCli.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"vantage " + version() + " (java " + Runtime.version() + ")"};
        }
    }

    @Command(name = "version", description = "Print the version and exit.")
    static final class VersionCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println("vantage " + version() + " (java " + Runtime.version() + ")");
            return EXIT_OK;
        }
    }
}
