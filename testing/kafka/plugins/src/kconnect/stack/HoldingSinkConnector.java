package kconnect.stack;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/**
 * A sink connector of the test stack that holds Kafka Connect in the states it only passes
 * through. Its connector ({@code hold=connector}), its tasks ({@code hold=task}) or both
 * ({@code hold=both}) start normally the first time in a worker, and from the second start on (a
 * restart) block in {@code start()} until the worker shuts down: Connect has then written the
 * state of the restart (RESTARTING for {@code POST /connectors/{name}/restart?includeTasks=true},
 * UNASSIGNED for a plain restart of the connector or of a task) and never gets to write RUNNING.
 * A new {@code hold.token} (any text) counts as a new connector: its first start does not block.
 * Records are dropped.
 */
public class HoldingSinkConnector extends SinkConnector {
    /** Names (connector, or connector/task) that have started once in this worker. */
    static final Set<String> STARTED = ConcurrentHashMap.newKeySet();

    static final ConfigDef CONFIG = new ConfigDef()
            .define("hold", ConfigDef.Type.STRING, "none", ConfigDef.ValidString.in("none", "connector", "task", "both"),
                    ConfigDef.Importance.HIGH, "What blocks in start() from its second start on: connector, task, both or none.")
            .define("hold.token", ConfigDef.Type.STRING, "", ConfigDef.Importance.LOW,
                    "Starts are counted per name and token: a new token starts the count again.");

    private Map<String, String> props;

    /**
     * Returns at once on the first start of {@code what} (connector, or the task's index) of this
     * connector and token in this worker; from the second on, blocks the calling thread until it is
     * interrupted (the worker's shutdown interrupts it).
     */
    static void holdIfRestarted(Map<String, String> props, String kind, String what) {
        String hold = props.getOrDefault("hold", "none");
        if (!hold.equals(kind) && !hold.equals("both")) {
            return;
        }
        String key = props.get("name") + "\u0000" + props.getOrDefault("hold.token", "") + "\u0000" + what;
        if (STARTED.add(key)) {
            return;
        }
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void start(Map<String, String> props) {
        this.props = props;
        holdIfRestarted(props, "connector", "connector");
    }

    @Override
    public Class<? extends Task> taskClass() {
        return HoldingSinkTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) {
            Map<String, String> c = new java.util.HashMap<>(props);
            c.put("task.index", Integer.toString(i));
            configs.add(c);
        }
        return configs;
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return CONFIG;
    }

    @Override
    public String version() {
        return "1";
    }

    /** The task of {@link HoldingSinkConnector}. */
    public static class HoldingSinkTask extends SinkTask {
        @Override
        public void start(Map<String, String> props) {
            holdIfRestarted(props, "task", "task " + props.get("task.index"));
        }

        @Override
        public void put(Collection<SinkRecord> records) {
        }

        @Override
        public void stop() {
        }

        @Override
        public String version() {
            return "1";
        }
    }
}
