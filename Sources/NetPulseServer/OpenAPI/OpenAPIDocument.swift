import Foundation

/// The OpenAPI 3 description of what ``NetPulseAPI`` serves, written by hand and checked against the
/// live server by `scripts/check-openapi.sh` (schemathesis) and by the server tests (every listed
/// operation is routed, every route is listed). Limits that depend on the configuration are filled in.
enum OpenAPIDocument {
    static func json(_ configuration: NetPulseAPIConfiguration) -> String {
        template
            .replacingOccurrences(of: "__MAX_JOBS__", with: String(configuration.maxJobsListed))
            .replacingOccurrences(of: "__MAX_WAIT__", with: String(configuration.maxWait.components.seconds))
            .replacingOccurrences(of: "__MAX_DEVICES__", with: String(configuration.maxDevicesPerRequest))
            .replacingOccurrences(of: "__MAX_BODY__", with: String(configuration.maxBodyBytes))
    }

    private static let template = #"""
        {
          "openapi": "3.0.3",
          "info": {
            "title": "NetPulse HTTP API",
            "version": "1.0.0",
            "description": "NetPulse batch endpoints and job monitoring; key in X-API-KEY; secrets never returned."
          },
          "security": [
            {
              "apiKey": []
            }
          ],
          "paths": {
            "/device/bulk": {
              "post": {
                "operationId": "deviceBulk",
                "summary": "Queue a batch (command or config) on many devices",
                "requestBody": {
                  "$ref": "#/components/requestBodies/Batch"
                },
                "responses": {
                  "201": {
                    "$ref": "#/components/responses/Submitted"
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "413": {
                    "$ref": "#/components/responses/TooLarge"
                  },
                  "415": {
                    "$ref": "#/components/responses/UnsupportedMediaType"
                  },
                  "422": {
                    "$ref": "#/components/responses/Invalid"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  },
                  "503": {
                    "$ref": "#/components/responses/Draining"
                  }
                }
              }
            },
            "/pull/batch": {
              "post": {
                "operationId": "pullBatch",
                "summary": "Queue a batch of commands (legacy); config is refused",
                "requestBody": {
                  "$ref": "#/components/requestBodies/Batch"
                },
                "responses": {
                  "201": {
                    "$ref": "#/components/responses/Submitted"
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "413": {
                    "$ref": "#/components/responses/TooLarge"
                  },
                  "415": {
                    "$ref": "#/components/responses/UnsupportedMediaType"
                  },
                  "422": {
                    "$ref": "#/components/responses/Invalid"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  },
                  "503": {
                    "$ref": "#/components/responses/Draining"
                  }
                }
              }
            },
            "/push/batch": {
              "post": {
                "operationId": "pushBatch",
                "summary": "Queue a configuration push (legacy); commands are refused",
                "requestBody": {
                  "$ref": "#/components/requestBodies/Batch"
                },
                "responses": {
                  "201": {
                    "$ref": "#/components/responses/Submitted"
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "413": {
                    "$ref": "#/components/responses/TooLarge"
                  },
                  "415": {
                    "$ref": "#/components/responses/UnsupportedMediaType"
                  },
                  "422": {
                    "$ref": "#/components/responses/Invalid"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  },
                  "503": {
                    "$ref": "#/components/responses/Draining"
                  }
                }
              }
            },
            "/device/exec": {
              "post": {
                "operationId": "deviceExec",
                "summary": "Queue an operation on one device",
                "requestBody": {
                  "$ref": "#/components/requestBodies/Batch"
                },
                "responses": {
                  "201": {
                    "$ref": "#/components/responses/Submitted"
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "413": {
                    "$ref": "#/components/responses/TooLarge"
                  },
                  "415": {
                    "$ref": "#/components/responses/UnsupportedMediaType"
                  },
                  "422": {
                    "$ref": "#/components/responses/Invalid"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  },
                  "503": {
                    "$ref": "#/components/responses/Draining"
                  }
                },
                "description": "One entry in devices, or NetPulse's connection_args with host."
              }
            },
            "/device/test": {
              "post": {
                "operationId": "deviceTest",
                "summary": "Test the connection to one device, synchronously (no command is run)",
                "requestBody": {
                  "$ref": "#/components/requestBodies/Batch"
                },
                "responses": {
                  "200": {
                    "description": "The test's outcome (a failed connection is a 200 with success false)",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ConnectionTestReport"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "413": {
                    "$ref": "#/components/responses/TooLarge"
                  },
                  "415": {
                    "$ref": "#/components/responses/UnsupportedMediaType"
                  },
                  "422": {
                    "$ref": "#/components/responses/Invalid"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  },
                  "503": {
                    "$ref": "#/components/responses/Draining"
                  }
                }
              }
            },
            "/job": {
              "get": {
                "operationId": "getJobByQuery",
                "summary": "One job by id (NetPulse's /job?id=)",
                "parameters": [
                  {
                    "name": "id",
                    "in": "query",
                    "required": true,
                    "schema": {
                      "type": "string",
                      "minLength": 1
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "$ref": "#/components/responses/Job"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "422": {
                    "$ref": "#/components/responses/Invalid"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  }
                }
              }
            },
            "/jobs": {
              "get": {
                "operationId": "listJobs",
                "summary": "Jobs still kept (a JSON array), filtered by status, host and batch, a page at a time",
                "parameters": [
                  {
                    "name": "status",
                    "in": "query",
                    "schema": {
                      "$ref": "#/components/schemas/JobStatusQuery"
                    }
                  },
                  {
                    "name": "host",
                    "in": "query",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "batch",
                    "in": "query",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": __MAX_JOBS__
                    }
                  },
                  {
                    "name": "cursor",
                    "in": "query",
                    "description": "X-Next-Cursor of the previous page",
                    "schema": {
                      "type": "string"
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "Matching jobs, oldest batch first, request order within a batch",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/JobView"
                          }
                        }
                      }
                    },
                    "headers": {
                      "X-Next-Cursor": {
                        "description": "more jobs match: ask again with cursor=this",
                        "schema": {
                          "type": "string"
                        }
                      },
                      "Link": {
                        "description": "the next page, rel=\"next\"",
                        "schema": {
                          "type": "string"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "422": {
                    "$ref": "#/components/responses/Invalid"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  }
                }
              },
              "delete": {
                "operationId": "cancelJobs",
                "summary": "Cancel every job that matches and is not final; answers the cancelled job ids",
                "parameters": [
                  {
                    "name": "status",
                    "in": "query",
                    "schema": {
                      "$ref": "#/components/schemas/JobStatusQuery"
                    }
                  },
                  {
                    "name": "host",
                    "in": "query",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "batch",
                    "in": "query",
                    "schema": {
                      "type": "string"
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The ids of the jobs cancelled",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "type": "string"
                          }
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "422": {
                    "$ref": "#/components/responses/Invalid"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  }
                }
              }
            },
            "/jobs/{id}": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "schema": {
                    "type": "string"
                  }
                }
              ],
              "get": {
                "operationId": "getJob",
                "summary": "One job: status, timestamps, device (secrets masked), result",
                "responses": {
                  "200": {
                    "$ref": "#/components/responses/Job"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  }
                }
              },
              "delete": {
                "operationId": "cancelJob",
                "summary": "Cancel a job",
                "responses": {
                  "200": {
                    "$ref": "#/components/responses/Job"
                  },
                  "202": {
                    "$ref": "#/components/responses/Job"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  }
                },
                "description": "A queued job at once (200), a running one is stopped (202)."
              }
            },
            "/batches/{id}": {
              "get": {
                "operationId": "getBatch",
                "summary": "A batch in the guide's result shape; ?wait= waits for its completion",
                "parameters": [
                  {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "wait",
                    "in": "query",
                    "description": "Seconds to wait for completion (answers as soon as the batch is complete)",
                    "schema": {
                      "type": "number",
                      "minimum": 0,
                      "maximum": __MAX_WAIT__
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The batch, complete or not",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/BatchView"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "422": {
                    "$ref": "#/components/responses/Invalid"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  }
                }
              },
              "delete": {
                "operationId": "cancelBatch",
                "summary": "Cancel the batch's jobs that are not final",
                "parameters": [
                  {
                    "name": "id",
                    "in": "path",
                    "required": true,
                    "schema": {
                      "type": "string"
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The batch",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/BatchView"
                        }
                      }
                    }
                  },
                  "202": {
                    "description": "The batch",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/BatchView"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  }
                },
                "description": "200 when every job is final, 202 while running jobs are being stopped."
              }
            },
            "/health": {
              "get": {
                "operationId": "health",
                "summary": "Liveness and load; 503 while shutting down",
                "security": [],
                "responses": {
                  "200": {
                    "$ref": "#/components/responses/Health"
                  },
                  "503": {
                    "$ref": "#/components/responses/Health"
                  }
                }
              }
            },
            "/openapi.json": {
              "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                  "200": {
                    "description": "The OpenAPI document",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/workers": {
              "get": {
                "operationId": "listWorkers",
                "summary": "The live workers, as NetPulse lists them",
                "responses": {
                  "200": {
                    "description": "The workers",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/Worker"
                          }
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooMany"
                  }
                }
              }
            }
          },
          "components": {
            "securitySchemes": {
              "apiKey": {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-KEY"
              }
            },
            "requestBodies": {
              "Batch": {
                "required": true,
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/BatchRequest"
                    },
                    "example": {
                      "driver": "netmiko",
                      "devices": [
                        {
                          "host": "127.0.0.1",
                          "port": 9,
                          "username": "admin",
                          "password": "admin123"
                        }
                      ],
                      "connection_args": {
                        "device_type": "cisco_ios",
                        "timeout": 5
                      },
                      "command": "show version",
                      "options": {
                        "queue_strategy": "pinned",
                        "ttl": 600
                      }
                    }
                  }
                }
              }
            },
            "responses": {
              "Submitted": {
                "description": "Queued: batch id, job ids, and devices not queued",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Submission"
                    }
                  }
                },
                "links": {
                  "GetBatch": {
                    "operationId": "getBatch",
                    "parameters": {
                      "path.id": "$response.body#/batch_id"
                    }
                  },
                  "GetJob": {
                    "operationId": "getJob",
                    "parameters": {
                      "path.id": "$response.body#/job_ids/0"
                    }
                  },
                  "CancelJob": {
                    "operationId": "cancelJob",
                    "parameters": {
                      "path.id": "$response.body#/job_ids/0"
                    }
                  },
                  "GetJobByQuery": {
                    "operationId": "getJobByQuery",
                    "parameters": {
                      "query.id": "$response.body#/job_ids/0"
                    }
                  },
                  "ListBatchJobs": {
                    "operationId": "listJobs",
                    "parameters": {
                      "query.batch": "$response.body#/batch_id"
                    }
                  }
                }
              },
              "Job": {
                "description": "One job",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/JobView"
                    }
                  }
                }
              },
              "Health": {
                "description": "Status and load",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Health"
                    }
                  }
                }
              },
              "BadRequest": {
                "description": "Malformed JSON (or an unreadable request)",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Unauthorized": {
                "description": "X-API-KEY missing or unknown",
                "headers": {
                  "WWW-Authenticate": {
                    "schema": {
                      "type": "string"
                    }
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Forbidden": {
                "description": "A read-only key on a write operation; a field the server's policy refuses (code forbidden_by_policy, error.field names it: a file path, a weaker host_key_policy, legacy_algorithms); served without keys: a Host or Origin that is not this loopback server",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "NotFound": {
                "description": "Unknown, or purged after result_ttl",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Conflict": {
                "description": "The job is already final",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "TooLarge": {
                "description": "Body over __MAX_BODY__ bytes, or over __MAX_DEVICES__ devices",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Invalid": {
                "description": "A field is wrong; error.field names it (devices[3].port, options.ttl, ...)",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "TooMany": {
                "description": "Too many requests: this API key's rate (rate_limited), the scheduler's queue cap (queue_full), or concurrent connection tests; retry after Retry-After seconds",
                "headers": {
                  "Retry-After": {
                    "schema": {
                      "type": "string"
                    }
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Draining": {
                "description": "The server is shutting down",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "UnsupportedMediaType": {
                "description": "Served without keys: a request body must be sent as Content-Type: application/json",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              }
            },
            "schemas": {
              "Error": {
                "type": "object",
                "required": [
                  "error",
                  "detail"
                ],
                "additionalProperties": false,
                "properties": {
                  "error": {
                    "type": "object",
                    "required": [
                      "status",
                      "code",
                      "message"
                    ],
                    "additionalProperties": false,
                    "properties": {
                      "status": {
                        "type": "integer"
                      },
                      "code": {
                        "type": "string"
                      },
                      "field": {
                        "type": "string",
                        "description": "JSON path of the field at fault"
                      },
                      "message": {
                        "type": "string"
                      }
                    }
                  },
                  "detail": {
                    "type": "string",
                    "description": "NetPulse's error text: field and message"
                  }
                }
              },
              "Lines": {
                "oneOf": [
                  {
                    "type": "string"
                  },
                  {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  }
                ]
              },
              "ConnectionArgs": {
                "type": "object",
                "properties": {
                  "device_type": {
                    "type": "string",
                    "example": "cisco_ios"
                  },
                  "port": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 65535
                  },
                  "username": {
                    "type": "string"
                  },
                  "password": {
                    "type": "string",
                    "writeOnly": true
                  },
                  "secret": {
                    "type": "string",
                    "writeOnly": true
                  },
                  "key_file": {
                    "type": "string",
                    "description": "a file on the server: refused (403) unless inside a directory the operator allows"
                  },
                  "passphrase": {
                    "type": "string",
                    "writeOnly": true
                  },
                  "auth_method": {
                    "type": "string",
                    "enum": [
                      "password",
                      "keyboard_interactive",
                      "publickey"
                    ]
                  },
                  "timeout": {
                    "type": "number",
                    "exclusiveMinimum": true,
                    "minimum": 0
                  },
                  "conn_timeout": {
                    "type": "number",
                    "exclusiveMinimum": true,
                    "minimum": 0
                  },
                  "read_timeout": {
                    "type": "number",
                    "exclusiveMinimum": true,
                    "minimum": 0
                  },
                  "host_key_policy": {
                    "type": "string",
                    "enum": [
                      "strict",
                      "accept_new",
                      "off"
                    ],
                    "description": "may be stricter than the server's policy, never weaker (403)"
                  },
                  "ssh_strict": {
                    "type": "boolean"
                  },
                  "known_hosts_file": {
                    "type": "string",
                    "description": "a file on the server: refused (403) unless inside a directory the operator allows"
                  },
                  "legacy_algorithms": {
                    "type": "boolean",
                    "description": "true is refused (403) unless the operator allows it"
                  },
                  "keepalive": {
                    "type": "number",
                    "minimum": 0,
                    "description": "seconds between keepalives; 0 turns them off, otherwise at least 1"
                  },
                  "driver_args": {
                    "type": "object"
                  }
                },
                "description": "Shared connection fields (also netmiko's pass-through ones)."
              },
              "Device": {
                "allOf": [
                  {
                    "$ref": "#/components/schemas/ConnectionArgs"
                  },
                  {
                    "type": "object",
                    "required": [
                      "host"
                    ],
                    "properties": {
                      "host": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 253,
                        "description": "no whitespace, control characters or NUL, not starting with '-'; at most 253 bytes"
                      },
                      "ip": {
                        "type": "string"
                      },
                      "command": {
                        "$ref": "#/components/schemas/LinesOrContext"
                      },
                      "config": {
                        "$ref": "#/components/schemas/LinesOrContext"
                      }
                    }
                  }
                ]
              },
              "Options": {
                "type": "object",
                "properties": {
                  "queue_strategy": {
                    "type": "string",
                    "enum": [
                      "pinned",
                      "round_robin",
                      "fifo"
                    ]
                  },
                  "ttl": {
                    "type": "number",
                    "minimum": 1,
                    "maximum": 86400
                  },
                  "execution_timeout": {
                    "type": "number",
                    "exclusiveMinimum": true,
                    "minimum": 0,
                    "description": "seconds; clamped to the server's bound, which is also the timeout of a job that gives none"
                  },
                  "result_ttl": {
                    "type": "number",
                    "minimum": 0,
                    "description": "seconds; clamped to the server's bound"
                  },
                  "stop_on_error": {
                    "type": "boolean"
                  },
                  "save": {
                    "type": "boolean"
                  },
                  "enable": {
                    "type": "boolean"
                  },
                  "max_output_bytes": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "the most output one command may produce (default and upper bound: the server's, 64 MiB); past it the command fails with unexpected_output"
                  }
                }
              },
              "Parsing": {
                "type": "object",
                "required": [
                  "name"
                ],
                "additionalProperties": false,
                "properties": {
                  "name": {
                    "type": "string",
                    "enum": [
                      "textfsm"
                    ]
                  },
                  "template": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 262144,
                    "description": "the TextFSM template's text (at most 256 KiB), or file:///absolute/path, refused (403) unless the operator allows the file's directory; give template or use_ntc_template"
                  },
                  "use_ntc_template": {
                    "type": "boolean",
                    "description": "true: the template that the operator's template folder (ntc-templates index) has for the platform and the command; refused (422) when the server has no folder"
                  },
                  "ntc_template_args": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                      "platform": {
                        "type": "string",
                        "minLength": 1,
                        "description": "default: the device's device_type"
                      },
                      "command": {
                        "type": "string",
                        "minLength": 1,
                        "description": "default: each command as it was run"
                      }
                    },
                    "description": "only with use_ntc_template: true"
                  }
                },
                "description": "Parse each command's output into records (outputs[].parsed); commands only, not config. A template that does not compile or reaches an Error rule, or no template for the platform and command, fails the device with parsing_error and keeps its raw output."
              },
              "BatchRequest": {
                "type": "object",
                "required": [
                  "driver"
                ],
                "properties": {
                  "driver": {
                    "type": "string",
                    "example": "netmiko"
                  },
                  "devices": {
                    "type": "array",
                    "items": {
                      "oneOf": [
                        {
                          "type": "string",
                          "description": "a host"
                        },
                        {
                          "$ref": "#/components/schemas/Device"
                        }
                      ]
                    }
                  },
                  "connection_args": {
                    "$ref": "#/components/schemas/ConnectionArgs"
                  },
                  "command": {
                    "$ref": "#/components/schemas/LinesOrContext"
                  },
                  "config": {
                    "$ref": "#/components/schemas/LinesOrContext"
                  },
                  "parsing": {
                    "$ref": "#/components/schemas/Parsing"
                  },
                  "options": {
                    "$ref": "#/components/schemas/Options"
                  },
                  "driver_args": {
                    "type": "object"
                  },
                  "webhook": {
                    "$ref": "#/components/schemas/Webhook"
                  },
                  "rendering": {
                    "$ref": "#/components/schemas/Rendering"
                  },
                  "credential": {
                    "nullable": true,
                    "description": "NetPulse feature not supported here: only null is accepted",
                    "enum": [
                      null
                    ]
                  },
                  "file_transfer": {
                    "nullable": true,
                    "description": "NetPulse feature not supported here: only null is accepted",
                    "enum": [
                      null
                    ]
                  },
                  "staged_file_id": {
                    "nullable": true,
                    "description": "NetPulse feature not supported here: only null is accepted",
                    "enum": [
                      null
                    ]
                  },
                  "push_interval": {
                    "nullable": true,
                    "description": "NetPulse feature not supported here: only null is accepted",
                    "enum": [
                      null
                    ]
                  },
                  "detach": {
                    "type": "boolean",
                    "enum": [
                      false
                    ],
                    "description": "NetPulse's background tasks: only false"
                  },
                  "audit_mode": {
                    "type": "string",
                    "enum": [
                      "none"
                    ],
                    "description": "NetPulse's audit storage: only none"
                  },
                  "enable_mode": {
                    "type": "boolean"
                  },
                  "save": {
                    "type": "boolean"
                  },
                  "queue_strategy": {
                    "type": "string",
                    "enum": [
                      "pinned",
                      "fifo",
                      "round_robin"
                    ],
                    "description": "default: pinned for netmiko and paramiko, round_robin otherwise"
                  },
                  "ttl": {
                    "type": "number",
                    "minimum": 1,
                    "maximum": 86400,
                    "description": "default 300 (one device), 600 (bulk), 1800 (pull/push batch)"
                  },
                  "execution_timeout": {
                    "type": "number",
                    "exclusiveMinimum": true,
                    "minimum": 0,
                    "description": "default 300"
                  },
                  "result_ttl": {
                    "type": "number",
                    "minimum": 60,
                    "maximum": 604800,
                    "description": "default 300"
                  }
                },
                "description": "The batch guide's request: command or config, not both."
              },
              "Rejection": {
                "type": "object",
                "required": [
                  "index",
                  "host",
                  "field",
                  "reason"
                ],
                "additionalProperties": false,
                "properties": {
                  "index": {
                    "type": "integer",
                    "description": "Position in the request's devices"
                  },
                  "host": {
                    "type": "string"
                  },
                  "field": {
                    "type": "string"
                  },
                  "reason": {
                    "type": "string"
                  }
                }
              },
              "Submission": {
                "type": "object",
                "required": [
                  "batch_id",
                  "job_ids",
                  "jobs",
                  "rejected",
                  "status",
                  "submitted_at",
                  "options",
                  "succeeded",
                  "failed"
                ],
                "additionalProperties": false,
                "properties": {
                  "batch_id": {
                    "type": "string"
                  },
                  "job_id": {
                    "type": "string",
                    "description": "POST /device/exec only"
                  },
                  "job_ids": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "jobs": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "index",
                        "host",
                        "port",
                        "job_id"
                      ],
                      "additionalProperties": false,
                      "properties": {
                        "index": {
                          "type": "integer"
                        },
                        "host": {
                          "type": "string"
                        },
                        "port": {
                          "type": "integer"
                        },
                        "job_id": {
                          "type": "string"
                        }
                      }
                    }
                  },
                  "rejected": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Rejection"
                    }
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "queued"
                    ]
                  },
                  "submitted_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "options": {
                    "type": "object",
                    "additionalProperties": false,
                    "description": "the options in force, with the server's bounds applied",
                    "required": [
                      "queue_strategy"
                    ],
                    "properties": {
                      "queue_strategy": {
                        "type": "string"
                      },
                      "ttl": {
                        "type": "number"
                      },
                      "execution_timeout": {
                        "type": "number"
                      },
                      "result_ttl": {
                        "type": "number"
                      },
                      "max_output_bytes": {
                        "type": "integer"
                      }
                    }
                  },
                  "id": {
                    "type": "string",
                    "description": "POST /device/exec only: its job (NetPulse's id)"
                  },
                  "succeeded": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "additionalProperties": false,
                      "required": [
                        "id",
                        "status",
                        "host",
                        "port",
                        "index",
                        "queue",
                        "created_at",
                        "enqueued_at"
                      ],
                      "properties": {
                        "id": {
                          "type": "string"
                        },
                        "status": {
                          "type": "string",
                          "enum": [
                            "queued"
                          ]
                        },
                        "host": {
                          "type": "string"
                        },
                        "port": {
                          "type": "integer"
                        },
                        "index": {
                          "type": "integer"
                        },
                        "queue": {
                          "type": "string"
                        },
                        "created_at": {
                          "type": "string",
                          "format": "date-time"
                        },
                        "enqueued_at": {
                          "type": "string",
                          "format": "date-time"
                        }
                      }
                    },
                    "description": "NetPulse's job entries of the queued devices"
                  },
                  "failed": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "additionalProperties": false,
                      "required": [
                        "host",
                        "reason"
                      ],
                      "properties": {
                        "host": {
                          "type": "string"
                        },
                        "reason": {
                          "type": "string"
                        }
                      }
                    },
                    "description": "NetPulse's list of the devices not queued"
                  }
                }
              },
              "JobStatus": {
                "type": "string",
                "enum": [
                  "queued",
                  "started",
                  "finished",
                  "failed",
                  "cancelled",
                  "expired"
                ]
              },
              "NetPulseError": {
                "type": "object",
                "required": [
                  "kind",
                  "message"
                ],
                "additionalProperties": false,
                "properties": {
                  "kind": {
                    "type": "string",
                    "example": "authentication"
                  },
                  "message": {
                    "type": "string"
                  }
                }
              },
              "CommandOutput": {
                "type": "object",
                "required": [
                  "command",
                  "output",
                  "status"
                ],
                "additionalProperties": false,
                "properties": {
                  "command": {
                    "type": "string"
                  },
                  "output": {
                    "type": "string"
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "ok",
                      "failed",
                      "skipped"
                    ]
                  },
                  "exit_status": {
                    "type": "integer"
                  },
                  "stderr": {
                    "type": "string"
                  },
                  "parsed": {
                    "type": "array",
                    "items": {
                      "type": "object"
                    },
                    "description": "with parsing: one record per object, keyed by the template's Value names in lower case (a List Value is an array)"
                  }
                }
              },
              "DeviceResult": {
                "type": "object",
                "required": [
                  "hostname",
                  "port",
                  "username",
                  "index",
                  "success",
                  "output",
                  "outputs",
                  "execution_time",
                  "session_reused"
                ],
                "additionalProperties": false,
                "properties": {
                  "hostname": {
                    "type": "string"
                  },
                  "port": {
                    "type": "integer"
                  },
                  "username": {
                    "type": "string"
                  },
                  "index": {
                    "type": "integer"
                  },
                  "job_id": {
                    "type": "string"
                  },
                  "success": {
                    "type": "boolean"
                  },
                  "output": {
                    "type": "string"
                  },
                  "outputs": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/CommandOutput"
                    }
                  },
                  "error": {
                    "$ref": "#/components/schemas/NetPulseError"
                  },
                  "execution_time": {
                    "type": "number"
                  },
                  "started_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "finished_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "session_reused": {
                    "type": "boolean"
                  }
                }
              },
              "MaskedDevice": {
                "type": "object",
                "required": [
                  "host",
                  "port",
                  "username",
                  "device_type"
                ],
                "additionalProperties": false,
                "properties": {
                  "host": {
                    "type": "string"
                  },
                  "port": {
                    "type": "integer"
                  },
                  "username": {
                    "type": "string"
                  },
                  "device_type": {
                    "type": "string"
                  },
                  "password": {
                    "type": "string",
                    "enum": [
                      "********"
                    ]
                  },
                  "secret": {
                    "type": "string",
                    "enum": [
                      "********"
                    ]
                  },
                  "passphrase": {
                    "type": "string",
                    "enum": [
                      "********"
                    ]
                  },
                  "key_file": {
                    "type": "string"
                  }
                }
              },
              "JobView": {
                "type": "object",
                "required": [
                  "id",
                  "batch_id",
                  "index",
                  "status",
                  "host",
                  "port",
                  "username"
                ],
                "additionalProperties": false,
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "batch_id": {
                    "type": "string"
                  },
                  "index": {
                    "type": "integer",
                    "description": "Position in the request's devices"
                  },
                  "status": {
                    "$ref": "#/components/schemas/JobStatus"
                  },
                  "host": {
                    "type": "string"
                  },
                  "port": {
                    "type": "integer"
                  },
                  "username": {
                    "type": "string"
                  },
                  "device": {
                    "$ref": "#/components/schemas/MaskedDevice"
                  },
                  "submitted_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "started_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "finished_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "result": {
                    "$ref": "#/components/schemas/JobResult"
                  },
                  "created_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "enqueued_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "ended_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "device_name": {
                    "type": "string"
                  },
                  "duration": {
                    "type": "number",
                    "description": "seconds on the device"
                  },
                  "queue_time": {
                    "type": "number",
                    "description": "seconds in the queue"
                  }
                }
              },
              "BatchView": {
                "type": "object",
                "required": [
                  "batch_id",
                  "status",
                  "complete",
                  "success",
                  "results",
                  "summary",
                  "progress",
                  "job_ids",
                  "rejected"
                ],
                "additionalProperties": false,
                "properties": {
                  "batch_id": {
                    "type": "string"
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "queued",
                      "running",
                      "complete"
                    ]
                  },
                  "complete": {
                    "type": "boolean"
                  },
                  "success": {
                    "type": "boolean",
                    "description": "true when complete and every device succeeded"
                  },
                  "results": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/DeviceResult"
                    }
                  },
                  "summary": {
                    "type": "object",
                    "required": [
                      "total",
                      "successful",
                      "failed",
                      "pending"
                    ],
                    "additionalProperties": false,
                    "properties": {
                      "total": {
                        "type": "integer"
                      },
                      "successful": {
                        "type": "integer"
                      },
                      "failed": {
                        "type": "integer"
                      },
                      "pending": {
                        "type": "integer"
                      }
                    }
                  },
                  "progress": {
                    "type": "object",
                    "required": [
                      "queued",
                      "running",
                      "succeeded",
                      "failed"
                    ],
                    "additionalProperties": false,
                    "properties": {
                      "queued": {
                        "type": "integer"
                      },
                      "running": {
                        "type": "integer"
                      },
                      "succeeded": {
                        "type": "integer"
                      },
                      "failed": {
                        "type": "integer"
                      }
                    }
                  },
                  "job_ids": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "rejected": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Rejection"
                    }
                  },
                  "submitted_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "endpoint": {
                    "type": "string"
                  }
                }
              },
              "ConnectionTestReport": {
                "type": "object",
                "required": [
                  "host",
                  "port",
                  "username",
                  "device_type",
                  "driver",
                  "reachable",
                  "authenticated",
                  "prompt_found",
                  "success",
                  "time",
                  "timestamp"
                ],
                "additionalProperties": false,
                "properties": {
                  "host": {
                    "type": "string"
                  },
                  "port": {
                    "type": "integer"
                  },
                  "username": {
                    "type": "string"
                  },
                  "device_type": {
                    "type": "string"
                  },
                  "driver": {
                    "type": "string"
                  },
                  "reachable": {
                    "type": "boolean"
                  },
                  "authenticated": {
                    "type": "boolean"
                  },
                  "prompt_found": {
                    "type": "boolean"
                  },
                  "success": {
                    "type": "boolean"
                  },
                  "time": {
                    "type": "number",
                    "description": "seconds"
                  },
                  "error": {
                    "$ref": "#/components/schemas/NetPulseError"
                  },
                  "latency": {
                    "type": "number",
                    "description": "seconds to connect and log in (success only)"
                  },
                  "timestamp": {
                    "type": "string",
                    "format": "date-time"
                  }
                }
              },
              "Health": {
                "type": "object",
                "required": [
                  "status",
                  "scheduler",
                  "webhooks"
                ],
                "additionalProperties": false,
                "properties": {
                  "status": {
                    "type": "string",
                    "enum": [
                      "ok",
                      "draining"
                    ]
                  },
                  "scheduler": {
                    "type": "object",
                    "required": [
                      "open_connections",
                      "running_jobs",
                      "queued_jobs",
                      "batches"
                    ],
                    "additionalProperties": false,
                    "properties": {
                      "open_connections": {
                        "type": "integer"
                      },
                      "running_jobs": {
                        "type": "integer"
                      },
                      "queued_jobs": {
                        "type": "integer"
                      },
                      "batches": {
                        "type": "integer"
                      }
                    }
                  },
                  "webhooks": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": [
                      "queued",
                      "delivered",
                      "failed",
                      "dropped",
                      "attempts"
                    ],
                    "properties": {
                      "queued": {
                        "type": "integer"
                      },
                      "delivered": {
                        "type": "integer"
                      },
                      "failed": {
                        "type": "integer"
                      },
                      "dropped": {
                        "type": "integer"
                      },
                      "attempts": {
                        "type": "integer"
                      }
                    }
                  }
                }
              },
              "JobResult": {
                "type": "object",
                "required": [
                  "hostname",
                  "port",
                  "username",
                  "index",
                  "success",
                  "output",
                  "outputs",
                  "execution_time",
                  "session_reused",
                  "type",
                  "retval"
                ],
                "additionalProperties": false,
                "properties": {
                  "hostname": {
                    "type": "string"
                  },
                  "port": {
                    "type": "integer"
                  },
                  "username": {
                    "type": "string"
                  },
                  "index": {
                    "type": "integer"
                  },
                  "job_id": {
                    "type": "string"
                  },
                  "success": {
                    "type": "boolean"
                  },
                  "output": {
                    "type": "string"
                  },
                  "outputs": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/CommandOutput"
                    }
                  },
                  "error": {
                    "$ref": "#/components/schemas/NetPulseError"
                  },
                  "execution_time": {
                    "type": "number"
                  },
                  "started_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "finished_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "session_reused": {
                    "type": "boolean"
                  },
                  "type": {
                    "type": "integer",
                    "enum": [
                      1,
                      2
                    ],
                    "description": "1 succeeded, 2 failed"
                  },
                  "retval": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "additionalProperties": false,
                      "required": [
                        "command",
                        "stdout",
                        "stderr",
                        "exit_status"
                      ],
                      "properties": {
                        "command": {
                          "type": "string"
                        },
                        "stdout": {
                          "type": "string"
                        },
                        "stderr": {
                          "type": "string"
                        },
                        "exit_status": {
                          "type": "integer"
                        },
                        "parsed": {
                          "type": "array",
                          "items": {
                            "type": "object"
                          }
                        }
                      }
                    }
                  }
                }
              },
              "JobStatusQuery": {
                "type": "string",
                "enum": [
                  "queued",
                  "started",
                  "finished",
                  "failed",
                  "cancelled",
                  "expired",
                  "canceled"
                ]
              },
              "Worker": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "name",
                  "status",
                  "pid",
                  "hostname",
                  "queues",
                  "last_heartbeat",
                  "birth_at",
                  "running_jobs",
                  "capacity"
                ],
                "properties": {
                  "name": {
                    "type": "string"
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "idle",
                      "busy"
                    ]
                  },
                  "pid": {
                    "type": "integer"
                  },
                  "hostname": {
                    "type": "string"
                  },
                  "queues": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "last_heartbeat": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "birth_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "running_jobs": {
                    "type": "integer"
                  },
                  "capacity": {
                    "type": "integer"
                  }
                }
              },
              "Webhook": {
                "type": "object",
                "nullable": true,
                "additionalProperties": false,
                "required": [
                  "url"
                ],
                "description": "NetPulse's webhook: each job's result is sent there when final; loopback hosts only unless the operator allows others",
                "properties": {
                  "url": {
                    "type": "string",
                    "format": "uri"
                  },
                  "method": {
                    "type": "string",
                    "enum": [
                      "POST",
                      "PUT"
                    ]
                  },
                  "headers": {
                    "type": "object",
                    "additionalProperties": {
                      "type": "string"
                    }
                  },
                  "timeout": {
                    "type": "number",
                    "exclusiveMinimum": true,
                    "minimum": 0,
                    "maximum": 60
                  },
                  "max_retries": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 10
                  },
                  "retry_intervals": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 10,
                    "items": {
                      "type": "number",
                      "exclusiveMinimum": true,
                      "minimum": 0,
                      "maximum": 300
                    }
                  }
                }
              },
              "Rendering": {
                "type": "object",
                "nullable": true,
                "additionalProperties": false,
                "required": [
                  "name",
                  "template"
                ],
                "description": "NetPulse's rendering: command or config is then an object, the template's context (a device's own object renders with it over the batch's)",
                "properties": {
                  "name": {
                    "type": "string",
                    "enum": [
                      "jinja2"
                    ]
                  },
                  "template": {
                    "type": "string",
                    "description": "inline text, or file:// a path in a folder the operator allows"
                  },
                  "args": {
                    "type": "object"
                  }
                }
              },
              "LinesOrContext": {
                "oneOf": [
                  {
                    "$ref": "#/components/schemas/Lines"
                  },
                  {
                    "type": "object",
                    "description": "the template context, with rendering"
                  }
                ]
              }
            }
          }
        }
        """#
}
