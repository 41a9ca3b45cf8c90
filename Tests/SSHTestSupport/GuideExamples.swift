// The two request examples of the NetPulse batch guide, exactly as printed there, for every test
// target that needs them.
public enum GuideExamples {
    public static let batchCommand = #"""
        {
          "driver": "netmiko",
          "devices": [
            {"host": "192.168.1.1", "username": "admin", "password": "admin123"},
            {"host": "192.168.1.2", "username": "admin", "password": "admin123"}
          ],
          "connection_args": {
            "device_type": "cisco_ios",
            "timeout": 30
          },
          "command": "show version",
          "options": {
            "queue_strategy": "pinned",
            "ttl": 600
          }
        }
        """#

    public static let batchConfig = #"""
        {
          "driver": "netmiko",
          "devices": [
            {"host": "192.168.1.1", "username": "admin", "password": "admin123"},
            {"host": "192.168.1.2", "username": "admin", "password": "admin123"}
          ],
          "connection_args": {
            "device_type": "cisco_ios",
            "timeout": 30
          },
          "config": "interface GigabitEthernet0/1\n description Batch Config",
          "options": {
            "queue_strategy": "pinned",
            "ttl": 600
          }
        }
        """#

    /// NetPulse 0.4's layout: the options at the top level.
    public static let topLevelOptions = #"""
        {
          "driver": "netmiko",
          "devices": [{"host": "10.0.0.1"}, {"host": "10.0.0.2", "port": 2222, "command": ["show clock"]}],
          "connection_args": {"device_type": "arista_eos", "username": "ops", "password": "pw", "port": 22},
          "command": ["show version", "show ip interface brief"],
          "queue_strategy": "fifo",
          "ttl": 120,
          "execution_timeout": 45.5,
          "result_ttl": 3600
        }
        """#

    /// The guide's result example.
    public static let result = #"""
        {
          "success": true,
          "results": [
            {"hostname": "192.168.1.1", "success": true, "output": "Cisco IOS XE Software...", "execution_time": 0.8},
            {"hostname": "192.168.1.2", "success": true, "output": "Cisco IOS XE Software...", "execution_time": 0.9}
          ],
          "summary": {"total": 2, "successful": 2, "failed": 0}
        }
        """#
}
