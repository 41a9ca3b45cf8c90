"""Hand-written outputs of common commands, in the shape the devices print them (addresses from the
documentation ranges). difftool.py runs them through ntc-templates' parse_output for the expected records."""

SAMPLES = [
    {
        "platform": "cisco_ios",
        "command": "show version",
        "output": """\
Cisco IOS Software, C3750E Software (C3750E-UNIVERSALK9-M), Version 15.2(4)E10, RELEASE SOFTWARE (fc2)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2020 by Cisco Systems, Inc.
Compiled Tue 31-Mar-20 02:50 by prod_rel_team

ROM: Bootstrap program is C3750E boot loader
BOOTLDR: C3750E Boot Loader (C3750X-HBOOT-M) Version 15.2(3r)E, RELEASE SOFTWARE (fc1)

edge-sw-01 uptime is 1 year, 12 weeks, 3 days, 4 hours, 51 minutes
System returned to ROM by power-on
System restarted at 09:14:22 UTC Mon Jan 4 2021
System image file is "flash:c3750e-universalk9-mz.152-4.E10.bin"
Last reload reason: power-on

cisco WS-C3750X-48P (PowerPC405) processor (revision W0) with 262144K bytes of memory.
Processor board ID FDO1633Q14S
Last reset from power-on
2 Virtual Ethernet interfaces
1 FastEthernet interface
52 Gigabit Ethernet interfaces
2 Ten Gigabit Ethernet interfaces
The password-recovery mechanism is enabled.

512K bytes of flash-simulated non-volatile configuration memory.
Base ethernet MAC Address       : 00:1B:2C:3D:4E:80
Motherboard assembly number     : 73-12345-06
Model number                    : WS-C3750X-48P-S
System serial number            : FDO1633Q14S

Switch Ports Model                     SW Version            SW Image
------ ----- -----                     ----------            ----------
*    1 54    WS-C3750X-48P             15.2(4)E10            C3750E-UNIVERSALK9-M

Configuration register is 0xF
""",
    },
    {
        "platform": "cisco_ios",
        "command": "sh ip int br",
        "output": """\
Interface              IP-Address      OK? Method Status                Protocol
Vlan1                  unassigned      YES NVRAM  administratively down down
Vlan10                 192.0.2.1       YES NVRAM  up                    up
GigabitEthernet1/0/1   unassigned      YES unset  up                    up
GigabitEthernet1/0/2   unassigned      YES unset  down                  down
GigabitEthernet1/0/3   198.51.100.9    YES manual up                    up
Loopback0              203.0.113.1     YES NVRAM  up                    up
""",
    },
    {
        "platform": "cisco_ios",
        "command": "show interfaces",
        "output": """\
GigabitEthernet1/0/1 is up, line protocol is up (connected)
  Hardware is Gigabit Ethernet, address is 001b.2c3d.4e81 (bia 001b.2c3d.4e81)
  Description: uplink to core-01 Te1/1
  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,
     reliability 255/255, txload 1/255, rxload 1/255
  Encapsulation ARPA, loopback not set
  Keepalive set (10 sec)
  Full-duplex, 1000Mb/s, media type is 10/100/1000BaseTX
  input flow-control is off, output flow-control is unsupported
  ARP type: ARPA, ARP Timeout 04:00:00
  Last input 00:00:01, output 00:00:00, output hang never
  Last clearing of "show interface" counters never
  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 12
  Queueing strategy: fifo
  Output queue: 0/40 (size/max)
  5 minute input rate 2000 bits/sec, 3 packets/sec
  5 minute output rate 5000 bits/sec, 4 packets/sec
     12345678 packets input, 987654321 bytes, 0 no buffer
     Received 123456 broadcasts (98765 multicasts)
     0 runts, 0 giants, 0 throttles
     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored
     0 watchdog, 98765 multicast, 0 pause input
     0 input packets with dribble condition detected
     23456789 packets output, 1234567890 bytes, 0 underruns
     0 output errors, 0 collisions, 1 interface resets
     0 unknown protocol drops
     0 babbles, 0 late collision, 0 deferred
     0 lost carrier, 0 no carrier, 0 pause output
     0 output buffer failures, 0 output buffers swapped out
Vlan10 is up, line protocol is up
  Hardware is EtherSVI, address is 001b.2c3d.4ec1 (bia 001b.2c3d.4ec1)
  Internet address is 192.0.2.1/24
  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,
     reliability 255/255, txload 1/255, rxload 1/255
  Encapsulation ARPA, loopback not set
  Keepalive not supported
  ARP type: ARPA, ARP Timeout 04:00:00
  Last input 00:00:00, output 00:00:00, output hang never
  Last clearing of "show interface" counters never
  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 0
  Queueing strategy: fifo
  Output queue: 0/40 (size/max)
  5 minute input rate 1000 bits/sec, 1 packets/sec
  5 minute output rate 0 bits/sec, 0 packets/sec
     4567 packets input, 345678 bytes, 0 no buffer
     Received 0 broadcasts (0 IP multicasts)
     0 runts, 0 giants, 0 throttles
     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored
     2345 packets output, 234567 bytes, 0 underruns
     0 output errors, 0 interface resets
     0 unknown protocol drops
     0 output buffer failures, 0 output buffers swapped out
""",
    },
    {
        "platform": "cisco_ios",
        "command": "show cdp neighbors detail",
        "output": """\
-------------------------
Device ID: core-01.example.net
Entry address(es):
  IP address: 192.0.2.254
Platform: cisco WS-C6509-E,  Capabilities: Router Switch IGMP
Interface: GigabitEthernet1/0/49,  Port ID (outgoing port): TenGigabitEthernet1/1
Holdtime : 149 sec

Version :
Cisco IOS Software, s72033_rp Software (s72033_rp-ADVENTERPRISEK9-M), Version 15.1(2)SY11, RELEASE SOFTWARE (fc2)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2018 by Cisco Systems, Inc.

advertisement version: 2
VTP Management Domain: 'CORE'
Native VLAN: 1
Duplex: full
Management address(es):
  IP address: 192.0.2.254

-------------------------
Device ID: ap-17
Entry address(es):
  IP address: 198.51.100.17
Platform: cisco AIR-AP2802I-E-K9,  Capabilities: Trans-Bridge Source-Route-Bridge IGMP
Interface: GigabitEthernet1/0/17,  Port ID (outgoing port): GigabitEthernet0
Holdtime : 131 sec

Version :
Cisco AP Software, ap3g3-k9w8 Version: 8.10.130.0
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 2014-2015 by Cisco Systems, Inc.

advertisement version: 2
Duplex: full
Power drawn: 25.500 Watts
Power request id: 36262, Power management id: 3
Power request levels are:25500 0 0 0 0
Management address(es):
  IP address: 198.51.100.17


Total cdp entries displayed : 2
""",
    },
    {
        "platform": "cisco_ios",
        "command": "show vlan",
        "output": """\

VLAN Name                             Status    Ports
---- -------------------------------- --------- -------------------------------
1    default                          active    Gi1/0/2, Gi1/0/4, Gi1/0/5
                                                Gi1/0/6, Gi1/0/7
10   users                            active    Gi1/0/3, Gi1/0/8
20   voice                            active
1002 fddi-default                     act/unsup
1003 token-ring-default               act/unsup

VLAN Type  SAID       MTU   Parent RingNo BridgeNo Stp  BrdgMode Trans1 Trans2
---- ----- ---------- ----- ------ ------ -------- ---- -------- ------ ------
1    enet  100001     1500  -      -      -        -    -        0      0
10   enet  100010     1500  -      -      -        -    -        0      0

Remote SPAN VLANs
------------------------------------------------------------------------------


Primary Secondary Type              Ports
------- --------- ----------------- ------------------------------------------
""",
    },
    {
        "platform": "cisco_ios",
        "command": "show mac address-table",
        "output": """\
          Mac Address Table
-------------------------------------------

Vlan    Mac Address       Type        Ports
----    -----------       --------    -----
 All    0100.0ccc.cccc    STATIC      CPU
 All    0100.0ccc.cccd    STATIC      CPU
  10    001b.2c3d.4e99    DYNAMIC     Gi1/0/3
  10    0050.5600.0a01    DYNAMIC     Gi1/0/8
  20    0050.5600.0b02    DYNAMIC     Gi1/0/49
Total Mac Addresses for this criterion: 5
""",
    },
    {
        "platform": "cisco_ios",
        "command": "show inventory",
        "output": """\
NAME: "1", DESCR: "WS-C3750X-48P"
PID: WS-C3750X-48P-S   , VID: V02  , SN: FDO1633Q14S

NAME: "Switch 1 - Power Supply 0", DESCR: "FRU Power Supply"
PID: C3KX-PWR-715WAC   , VID: V01  , SN: DTN1624V0AB

NAME: "GigabitEthernet1/1/1", DESCR: "1000BaseSX SFP"
PID: GLC-SX-MMD          , VID: V01  , SN: FNS17290KXY
""",
    },
    {
        "platform": "arista_eos",
        "command": "show version",
        "output": """\
Arista DCS-7050SX3-48YC8-R
Hardware version: 11.02
Serial number: JPE20201234
Hardware MAC address: 001c.7300.0001
System MAC address: 001c.7300.0001

Software image version: 4.27.2F
Architecture: x86_64
Internal build version: 4.27.2F-26069621.4272F
Internal build ID: 2f6b6e2b-0e8e-4b1a-9d7e-2a1ed1b0a3c9
Image format version: 3.0
Image optimization: Strata-4GB

Uptime: 7 weeks, 2 days, 3 hours and 9 minutes
Total memory: 8099732 kB
Free memory: 5630268 kB
""",
    },
    {
        "platform": "cisco_nxos",
        "command": "show version",
        "output": """\
Cisco Nexus Operating System (NX-OS) Software
TAC support: http://www.cisco.com/tac
Copyright (C) 2002-2020, Cisco and/or its affiliates.
All rights reserved.

Software
  BIOS: version 05.42
 NXOS: version 9.3(5)
  BIOS compile time:  06/14/2020
  NXOS image file is: bootflash:///nxos.9.3.5.bin
  NXOS compile time:  7/20/2020 20:00:00 [07/21/2020 02:34:29]


Hardware
  cisco Nexus9000 C93180YC-EX chassis
  Intel(R) Xeon(R) CPU  @ 1.80GHz with 24632252 kB of memory.
  Processor Board ID FDO21400ABC

  Device name: leaf-101
  bootflash: 53298520 kB
Kernel uptime is 120 day(s), 4 hour(s), 12 minute(s), 40 second(s)

Last reset at 123456 usecs after Mon Aug  3 10:00:00 2020
  Reason: Reset Requested by CLI command reload
  System version: 9.3(5)
  Service:

plugin
  Core Plugin, Ethernet Plugin
""",
    },
    {
        "platform": "juniper_junos",
        "command": "show interfaces terse",
        "output": """\
Interface               Admin Link Proto    Local                 Remote
ge-0/0/0                up    up
ge-0/0/0.0              up    up   inet     192.0.2.10/24
                                   inet6    fe80::5254:ff:fe12:3456/64
ge-0/0/1                up    down
lo0                     up    up
lo0.0                   up    up   inet     203.0.113.10        --> 0/0
""",
    },
]
