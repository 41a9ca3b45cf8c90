#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
static double cpu(void){struct rusage u;getrusage(RUSAGE_SELF,&u);return u.ru_utime.tv_sec+u.ru_utime.tv_usec/1e6+u.ru_stime.tv_sec+u.ru_stime.tv_usec/1e6;}
int main(int argc,char**argv){int port=atoi(argv[1]);const char*key=argv[2];int n=atoi(argv[3]);
 ssh_init(); double c0=0; 
 for(int i=0;i<n+10;i++){ if(i==10)c0=cpu();
  ssh_session s=ssh_new(); int one=1,zero=0; ssh_options_set(s,SSH_OPTIONS_HOST,"127.0.0.1"); ssh_options_set(s,SSH_OPTIONS_PORT,&port);
  ssh_options_set(s,SSH_OPTIONS_USER,"nptest"); ssh_options_set(s,SSH_OPTIONS_NODELAY,&one); ssh_options_set(s,SSH_OPTIONS_PROCESS_CONFIG,&zero);
  if(ssh_connect(s)!=SSH_OK){fprintf(stderr,"connect %s\n",ssh_get_error(s));return 1;}
  ssh_key k; ssh_pki_import_privkey_file(key,NULL,NULL,NULL,&k);
  if(ssh_userauth_publickey(s,NULL,k)!=SSH_AUTH_SUCCESS){fprintf(stderr,"auth\n");return 1;} ssh_key_free(k);
  ssh_channel c=ssh_channel_new(s); ssh_channel_open_session(c); ssh_channel_request_exec(c,"true");
  char buf[256]; while(ssh_channel_read(c,buf,sizeof buf,0)>0){} ssh_channel_get_exit_status(c);
  ssh_channel_close(c); ssh_channel_free(c); ssh_disconnect(s); ssh_free(s);}
 printf("raw C libssh (blocking) fresh connection: %.3f ms client CPU, n=%d\n",(cpu()-c0)/n*1000,n);}
